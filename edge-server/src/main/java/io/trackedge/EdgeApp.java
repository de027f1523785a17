package io.trackedge;

import io.trackedge.config.EdgeConfig;
import io.trackedge.http.ClientAddress;
import io.trackedge.http.EdgeContext;
import io.trackedge.http.EdgeServer;
import io.trackedge.http.Readiness;
import io.trackedge.http.Responses;
import io.trackedge.ingest.IngestApi;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.NodeId;
import io.trackedge.metrics.EdgeMetrics;
import io.trackedge.ring.EventRing;
import io.trackedge.ring.JournalAppender;
import io.trackedge.metrics.SinkMetrics;
import io.trackedge.sink.SinkCursors;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkStats;
import io.trackedge.sink.bad.BadEventStore;
import io.trackedge.sink.bad.FileBadEventStore;
import io.trackedge.sink.bad.PostgresBadEventStore;
import io.trackedge.sink.posthog.PostHogSink;
import io.trackedge.sink.posthog.PostHogStats;
import io.trackedge.sink.postgres.Database;
import io.trackedge.sink.postgres.LocalPostgres;
import io.trackedge.sink.postgres.PostgresConnectionInfo;
import io.trackedge.sink.postgres.PostgresSink;
import io.trackedge.token.KeyRing;
import java.io.IOException;
import java.net.URI;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running edge, wired by hand: journal writer, Postgres sink, ring and appender, metrics,
 * readiness and the listeners. {@link #start} builds it in dependency order; {@link #stop} takes
 * it down in reverse, draining the ring into the journal and the journal into PostgreSQL and PostHog.
 */
public final class EdgeApp implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EdgeApp.class);
    private static final java.time.Duration FIRST_BACKOFF = java.time.Duration.ofMillis(100);
    /** A PostgreSQL data exception is about the data, however many come in a row. */
    private static final int POSTGRES_MAX_CONSECUTIVE_BAD = Integer.MAX_VALUE;
    /** PostHog refusing 100 events alone in a row, none accepted between, is taken as its own fault. */
    private static final int POSTHOG_MAX_CONSECUTIVE_BAD = 100;

    private final EdgeConfig config;
    private final JournalWriter journal;
    private final EventRing ring;
    private final EdgeContext edge;
    private final EdgeServer server;
    private final Responses responses;
    private final EdgeMetrics metrics;
    private final PostgresStack postgres;
    private final PostHogStack posthog;
    private final IngestApi ingest;
    /** The read API and dashboard, or null without a database. */
    private final StatsStack stats;
    private final JobsStack jobs;
    private boolean stopped;

    private EdgeApp(EdgeConfig config, JournalWriter journal, EventRing ring, EdgeContext edge, EdgeServer server,
                    Responses responses, EdgeMetrics metrics, PostgresStack postgres, PostHogStack posthog,
                    IngestApi ingest, JobsStack jobs, StatsStack stats) {
        this.stats = stats;
        this.config = config;
        this.journal = journal;
        this.ring = ring;
        this.edge = edge;
        this.server = server;
        this.responses = responses;
        this.metrics = metrics;
        this.postgres = postgres;
        this.posthog = posthog;
        this.ingest = ingest;
        this.jobs = jobs;
    }

    /** The database, its sink and its housekeeping; absent when the sink is disabled or the database cannot start. */
    private record PostgresStack(LocalPostgres local, Database db, PostgresSink sink, SinkLoop loop,
                                 ScheduledExecutorService housekeeping) {
        SinkStats stats() {
            return loop.stats();
        }

        /**
         * After the sink loop has stopped. The pool's close waits for connection attempts to give
         * up (its connection timeout); with PostgreSQL down that would overrun the shutdown grace,
         * so it gets what is left of it and the rest is left to the process exit.
         */
        void close(long deadlineNanos) {
            housekeeping.shutdownNow();
            Thread closer = new Thread(db::close, "db-close");
            closer.setDaemon(true);
            closer.start();
            try {
                TimeUnit.NANOSECONDS.timedJoin(closer, Math.max(TimeUnit.MILLISECONDS.toNanos(100), deadlineNanos - System.nanoTime()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (local != null) {
                try {
                    local.close();
                } catch (IOException e) {
                    log.warn("stopping the local database: {}", e.getMessage());
                }
            }
        }
    }

    /** The PostHog sink; absent when no API key is set. */
    private record PostHogStack(PostHogSink sink, SinkLoop loop, PostHogStats stats) {
    }

    public static EdgeApp start(EdgeConfig config, KeyRing keys) throws IOException, InterruptedException {
        EdgeMetrics metrics = new EdgeMetrics();
        JournalStats stats = new JournalStats();
        JournalWriter journal = JournalWriter.open(config.journalDir(), config.journal().segmentBytes(),
                config.journal().maxBytes(), stats);
        UUID node = NodeId.loadOrCreate(config.journalDir());
        Readiness readiness = new Readiness();
        // A segment is deleted only once every sink has passed it.
        SinkCursors cursors = new SinkCursors(journal::releaseBefore);
        SinkMetrics sinkMetrics = new SinkMetrics(metrics, stats.appendedRecords::get);
        PrivacyStack privacy = new PrivacyStack(config); // what both sinks may store and send
        ClassifyStack classify = ClassifyStack.start(config, readiness, metrics);
        PostgresStack postgres = config.postgresSink().enabled()
                ? startPostgres(config, journal, node, readiness, cursors, sinkMetrics, classify, privacy.policy()) : null;
        PostHogStack posthog = startPostHog(config, journal, node, metrics, readiness, cursors, sinkMetrics,
                postgres == null ? null : postgres.db(), classify, privacy.policy());
        privacy.attach(postgres == null ? null : postgres.db());
        JournalAppender appender = new JournalAppender(journal, config.ack(), wakeSinks(postgres, posthog));
        EventRing ring = new EventRing(config.ring().size(), config.ring().waitStrategy(), appender);
        metrics.journal(stats, appender::writeFailures, appender::lostToWriteFailures);
        metrics.gauge("edge_ring_remaining_capacity", "Free slots in the ring", ring::remainingCapacity);
        metrics.gauge("edge_journal_position_bytes", "Journal position past the last record written", journal::flushedPosition);
        metrics.gauge("edge_journal_max_bytes", "edge.journal.max-bytes: the cap on all segments (journal use = size / max)",
                () -> config.journal().maxBytes());

        Responses responses = new Responses();
        IngestApi ingest = IngestApi.start(config, ring, metrics, postgres == null ? null : postgres.db());
        StatsStack reads = StatsStack.start(config, postgres == null ? null : postgres.db(), ingest.service().keys());
        EdgeContext edge = new EdgeContext(ring, responses, metrics, config.ack(), config.ring().fullPolicy(),
                new ClientAddress(config.trustedProxies()), keys, ingest.service(), reads == null ? null : reads.service(),
                privacy.eraser() == null ? null : new io.trackedge.http.ErasureRoute(privacy.eraser()));
        readiness.add("journal", () -> appender.healthy()
                ? Readiness.Status.ok("writing to " + config.journalDir() + ", position " + journal.flushedPosition())
                : Readiness.Status.failing(appender.health().detail()));
        readiness.add("ring", () -> {
            long free = ring.remainingCapacity();
            String detail = free + " of " + ring.size() + " slots free";
            return free > 0 ? Readiness.Status.ok(detail) : Readiness.Status.failing(detail);
        });
        readiness.add("accepting", () -> edge.isDraining()
                ? Readiness.Status.failing("shutting down") : Readiness.Status.ok("accepting connections"));
        EdgeServer server;
        try {
            server = EdgeServer.start(config.http(), config.admin(), edge, metrics, readiness,
                    reads == null ? null : new io.trackedge.dashboard.Dashboard(reads.service(), metrics, readiness));
        } catch (RuntimeException | InterruptedException e) {
            ingest.close();
            if (reads != null) {
                reads.close();
            }
            closeQuietly(ring, journal, postgres, posthog, config);
            throw e;
        }
        if (postgres != null) {
            postgres.loop().start();
        }
        if (posthog != null) {
            posthog.loop().start();
        }
        // Jobs: after the sink, which applies the migrations; a runner retries until the tables exist.
        JobsStack jobs = JobsStack.start(config, postgres == null ? null : postgres.db(), node, metrics, readiness);
        log.info("edge started: node {}, ack={}, journal={}, profile={}", node, config.ack().name().toLowerCase(),
                config.journalDir(), config.profile().name().toLowerCase());
        return new EdgeApp(config, journal, ring, edge, server, responses, metrics, postgres, posthog, ingest, jobs, reads);
    }

    private static Runnable wakeSinks(PostgresStack postgres, PostHogStack posthog) {
        return () -> {
            if (postgres != null) {
                postgres.loop().wakeUp();
            }
            if (posthog != null) {
                posthog.loop().wakeUp();
            }
        };
    }

    private static PostgresStack startPostgres(EdgeConfig config, JournalWriter journal, UUID node, Readiness readiness,
                                               SinkCursors cursors, SinkMetrics sinkMetrics, ClassifyStack classify,
                                               io.trackedge.privacy.PrivacyPolicy privacy) {
        EdgeConfig.Database dbc = config.database();
        LocalPostgres local = null;
        PostgresConnectionInfo info;
        if (dbc.url().isEmpty()) {
            try {
                local = LocalPostgres.start(config.dataDir(), dbc.embeddedPort());
            } catch (IOException | RuntimeException e) {
                // The edge still answers and journals everything; only the database feature is off.
                log.error("cannot start a local database, so events stay in the journal only: {}", e.getMessage());
                readiness.add("postgres-sink", () -> Readiness.Status.ok("disabled: " + e.getMessage()));
                return null;
            }
            info = local.info();
            log.info("database: {}; connect with: {}", local.description(), info.psqlHint());
        } else {
            info = PostgresConnectionInfo.parse(dbc.url(), dbc.user(), dbc.password());
            log.info("database: {}", info.jdbcUrl());
        }
        Database db = new Database(info, dbc.poolSize());
        EdgeConfig.PostgresSink c = config.postgresSink();
        // Retention is the retention job's where this node runs jobs; the hourly housekeeping then only makes partitions.
        int sinkRetention = config.jobs().enabled() ? 0 : dbc.retentionDays();
        PostgresSink sink = new PostgresSink(db, node, new PostgresSink.Settings(dbc.migrateOnStart(), sinkRetention),
                classify.newClassifier(), privacy);
        SinkLoop loop = new SinkLoop(sink, config.journalDir(), journal::flushedPosition,
                new SinkLoop.Settings(c.batchSize(), c.linger(), FIRST_BACKOFF, c.maxBackoff(), c.stallAfter(),
                        POSTGRES_MAX_CONSECUTIVE_BAD),
                backlogStats(journal), cursors.register(PostgresSink.NAME));
        ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "db-housekeeping");
            t.setDaemon(true);
            return t;
        });
        housekeeping.scheduleWithFixedDelay(sink::maintainPartitions, 1, 1, TimeUnit.HOURS);
        sinkMetrics.add(loop, readiness);
        return new PostgresStack(local, db, sink, loop, housekeeping);
    }

    private static PostHogStack startPostHog(EdgeConfig config, JournalWriter journal, UUID node, EdgeMetrics metrics,
                                             Readiness readiness, SinkCursors cursors, SinkMetrics sinkMetrics, Database db,
                                             ClassifyStack classify, io.trackedge.privacy.PrivacyPolicy privacy) {
        PostHogSink.Settings c = config.posthogSink();
        if (!c.enabled()) {
            readiness.add("posthog-sink", () -> Readiness.Status.ok("disabled: no POSTHOG_API_KEY"));
            return null;
        }
        PostHogStats ph = new PostHogStats();
        BadEventStore bad = db != null ? new PostgresBadEventStore(db.dataSource(), node)
                : new FileBadEventStore(config.dataDir().resolve("bad-events-posthog.ndjson"));
        PostHogSink sink = new PostHogSink(config.journalDir(), journal::flushedPosition, node,
                config.dataDir().resolve("posthog-cursor"),
                c, ph, bad, System::currentTimeMillis, classify.newClassifier(), privacy);
        SinkLoop loop = new SinkLoop(sink, config.journalDir(), journal::flushedPosition,
                new SinkLoop.Settings(c.batchSize(), c.linger(), FIRST_BACKOFF, c.maxBackoff(), c.stallAfter(),
                        POSTHOG_MAX_CONSECUTIVE_BAD),
                backlogStats(journal), cursors.register(PostHogSink.NAME));
        log.info("posthog: sending to {}, max-lag {}, send-ip {}", sink.endpoint(), c.maxLag(), c.sendIp());
        sinkMetrics.add(loop, readiness);
        metrics.counter("edge_sink_posthog_requests_total", "Requests sent to PostHog, whatever the answer", () -> ph.requests.get());
        metrics.counter("edge_sink_posthog_events_sent_total", "Events PostHog accepted", () -> loop.stats().rows.get());
        metrics.counter("edge_sink_posthog_events_skipped_total", "Events given up unsent after waiting longer than max-lag",
                () -> ph.skippedMaxLag.get());
        return new PostHogStack(sink, loop, ph);
    }

    /** A sink's stats, its start-up backlog counted up to the journal's end now, before anything is appended. */
    private static SinkStats backlogStats(JournalWriter journal) {
        SinkStats stats = new SinkStats();
        stats.backlogEnd.set(Math.max(1, journal.flushedPosition()));
        return stats;
    }

    private static void closeQuietly(EventRing ring, JournalWriter journal, PostgresStack postgres, PostHogStack posthog,
                                     EdgeConfig config) {
        try {
            ring.drainAndStop(1, TimeUnit.SECONDS);
            journal.close();
            stopSinks(postgres, posthog, System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
        } catch (Exception e) {
            log.warn("cleanup after a failed start did not finish", e);
        }
    }

    /**
     * Both sinks drain side by side until {@code deadlineNanos}; what is not committed by then
     * stays in the journal for the next start.
     */
    private static void stopSinks(PostgresStack postgres, PostHogStack posthog, long deadlineNanos) {
        SinkLoop[] loops = {postgres == null ? null : postgres.loop(), posthog == null ? null : posthog.loop()};
        for (SinkLoop l : loops) {
            if (l != null) {
                l.drain();
            }
        }
        for (SinkLoop l : loops) {
            if (l == null) {
                continue;
            }
            try {
                if (!l.awaitStop(deadlineNanos)) {
                    log.warn("{} sink did not catch up within the shutdown grace; the rest stays in the journal for the next start",
                            l.name());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (postgres != null) {
            postgres.close(deadlineNanos);
        }
    }

    private static java.time.Duration left(long deadlineNanos) {
        return java.time.Duration.ofNanos(Math.max(TimeUnit.MILLISECONDS.toNanos(1), deadlineNanos - System.nanoTime()));
    }

    public int port() {
        return server.port();
    }

    public int adminPort() {
        return server.adminPort();
    }

    public EdgeMetrics metrics() {
        return metrics;
    }

    /** Statistics of the PostHog sink, or null when it is not running. */
    public PostHogStats posthogSinkStats() {
        return posthog == null ? null : posthog.stats();
    }

    /** The PostHog sink's loop (state, stats), or null when it is not running. */
    public SinkLoop posthogSinkLoop() {
        return posthog == null ? null : posthog.loop();
    }

    /** The Postgres sink's loop (state, stats), or null when it is not running. */
    public SinkLoop postgresSinkLoop() {
        return postgres == null ? null : postgres.loop();
    }

    /** Statistics of the Postgres sink, or null when it is not running. */
    public SinkStats postgresSinkStats() {
        return postgres == null ? null : postgres.stats();
    }

    /**
     * Stops accepting, drains the ring into the journal, releases every held response, closes the
     * listeners, flushes and fsyncs the journal, and gives the sinks (PostgreSQL, PostHog) the shutdown grace to
     * catch up. Idempotent.
     */
    public synchronized void stop() throws IOException {
        if (stopped) {
            return;
        }
        stopped = true;
        long t0 = System.nanoTime();
        // One grace for the whole stop: each step gets what the steps before it left.
        long deadline = t0 + config.shutdownGrace().toNanos();
        edge.startDraining();
        server.stopAccepting();
        // Order matters: no request may be read after the ring stops, or its response would wait forever.
        server.pauseReading();
        // Ingest bodies already read are published before the ring stops, and their answers queued.
        try {
            if (!ingest.drain(left(deadline))) {
                log.warn("ingest requests still processing after {}; their clients get no answer", config.shutdownGrace());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.awaitLoops();
        try {
            ring.drainAndStop(config.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS);
        } catch (com.lmax.disruptor.TimeoutException e) {
            log.error("the ring did not drain within {}; events still in it are lost", config.shutdownGrace());
        }
        // The appender has told every gate; let the loops release the held responses before closing.
        server.awaitLoops();
        server.close(left(deadline));
        journal.close();
        responses.release();
        ingest.close();
        if (stats != null) {
            stats.close();
        }
        if (jobs != null) {
            jobs.stop(left(deadline)); // a job still running is left to its lease: another node takes it
        }
        stopSinks(postgres, posthog, deadline);
        log.info("edge stopped in {} ms; journal flushed and synced at position {}",
                (System.nanoTime() - t0) / 1_000_000, journal.flushedPosition());
    }

    @Override
    public void close() throws IOException {
        stop();
    }
}
