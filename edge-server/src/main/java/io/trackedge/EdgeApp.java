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
import io.trackedge.sink.SinkCursors;
import io.trackedge.sink.SinkStats;
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
    private boolean stopped;

    private EdgeApp(EdgeConfig config, JournalWriter journal, EventRing ring, EdgeContext edge, EdgeServer server,
                    Responses responses, EdgeMetrics metrics, PostgresStack postgres, PostHogStack posthog,
                    IngestApi ingest) {
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
    }

    /** The database, its sink and its housekeeping; absent when the sink is disabled or the database cannot start. */
    private record PostgresStack(LocalPostgres local, Database db, PostgresSink sink, SinkStats stats,
                                 ScheduledExecutorService housekeeping) {
        void stop(java.time.Duration grace) throws IOException {
            try {
                if (!sink.stop(grace)) {
                    log.warn("postgres sink did not catch up within {}; the rest stays in the journal for the next start", grace);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            housekeeping.shutdownNow();
            db.close();
            if (local != null) {
                local.close();
            }
        }
    }

    /** The PostHog sink; absent when no API key is set. */
    private record PostHogStack(PostHogSink sink, PostHogStats stats) {
        void stop(java.time.Duration grace) {
            try {
                if (!sink.stop(grace)) {
                    log.warn("posthog sink did not catch up within {}; the rest stays in the journal for the next start", grace);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
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
        PostgresStack postgres = config.postgresSink().enabled()
                ? startPostgres(config, journal, node, stats, metrics, readiness, cursors) : null;
        PostHogStack posthog = startPostHog(config, journal, node, stats, metrics, readiness, cursors);
        JournalAppender appender = new JournalAppender(journal, config.ack(), wakeSinks(postgres, posthog));
        EventRing ring = new EventRing(config.ring().size(), config.ring().waitStrategy(), appender);
        metrics.journal(stats, appender::writeFailures, appender::lostToWriteFailures);
        metrics.gauge("edge_ring_remaining_capacity", "Free slots in the ring", ring::remainingCapacity);
        metrics.gauge("edge_journal_position_bytes", "Journal position past the last record written", journal::flushedPosition);

        Responses responses = new Responses();
        IngestApi ingest = IngestApi.start(config, ring, metrics, postgres == null ? null : postgres.db());
        EdgeContext edge = new EdgeContext(ring, responses, metrics, config.ack(), config.ring().fullPolicy(),
                new ClientAddress(config.trustedProxies()), keys, ingest.service());
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
            server = EdgeServer.start(config.http(), config.admin(), edge, metrics, readiness);
        } catch (RuntimeException | InterruptedException e) {
            ingest.close();
            closeQuietly(ring, journal, postgres, posthog, config);
            throw e;
        }
        if (postgres != null) {
            postgres.sink().start();
        }
        if (posthog != null) {
            posthog.sink().start();
        }
        log.info("edge started: node {}, ack={}, journal={}, profile={}", node, config.ack().name().toLowerCase(),
                config.journalDir(), config.profile().name().toLowerCase());
        return new EdgeApp(config, journal, ring, edge, server, responses, metrics, postgres, posthog, ingest);
    }

    private static Runnable wakeSinks(PostgresStack postgres, PostHogStack posthog) {
        return () -> {
            if (postgres != null) {
                postgres.sink().wakeUp();
            }
            if (posthog != null) {
                posthog.sink().wakeUp();
            }
        };
    }

    private static PostgresStack startPostgres(EdgeConfig config, JournalWriter journal, UUID node, JournalStats journalStats,
                                               EdgeMetrics metrics, Readiness readiness, SinkCursors cursors) {
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
            System.out.println("database: " + local.description() + "\n  connect with: " + info.psqlHint());
        } else {
            info = PostgresConnectionInfo.parse(dbc.url(), dbc.user(), dbc.password());
            log.info("database: {}", info.jdbcUrl());
        }
        Database db = new Database(info, dbc.poolSize());
        SinkStats stats = new SinkStats();
        stats.backlogEnd.set(Math.max(1, journal.flushedPosition())); // before anything is appended
        PostgresSink sink = new PostgresSink(db, config.journalDir(), journal::flushedPosition, node,
                new PostgresSink.Settings(config.postgresSink().batchSize(), config.postgresSink().linger(),
                        config.postgresSink().maxBackoff(), dbc.migrateOnStart(), dbc.retentionDays()),
                stats, cursors.register("postgres"));
        ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "db-housekeeping");
            t.setDaemon(true);
            return t;
        });
        housekeeping.scheduleWithFixedDelay(sink::maintainPartitions, 1, 1, TimeUnit.HOURS);
        java.util.function.LongSupplier lagEvents = () -> Math.max(0,
                stats.backlogAtStart.get() + journalStats.appendedRecords.get() - stats.committedEvents.get());
        java.util.function.DoubleSupplier lagSeconds = () -> {
            long oldest = stats.oldestPendingMicros.get();
            return oldest == 0 ? 0 : Math.max(0, System.currentTimeMillis() / 1000.0 - oldest / 1e6);
        };
        metrics.gauge("edge_sink_postgres_up", "1 while the last PostgreSQL write succeeded", () -> stats.up ? 1 : 0);
        metrics.gauge("edge_sink_postgres_lag_events", "Journaled events not yet committed to PostgreSQL", lagEvents::getAsLong);
        metrics.gauge("edge_sink_postgres_lag_seconds", "Age of the oldest event not yet committed to PostgreSQL", lagSeconds);
        metrics.gauge("edge_sink_postgres_committed_position_bytes", "Journal position committed in PostgreSQL",
                () -> stats.committedPosition.get());
        metrics.counter("edge_sink_postgres_batches_total", "Transactions committed", () -> stats.batches.get());
        metrics.counter("edge_sink_postgres_rows_total", "Events committed to email_events", () -> stats.rows.get());
        metrics.counter("edge_sink_postgres_failures_total", "Failed attempts (each is retried)", () -> stats.failures.get());
        // Informational: PostgreSQL being down does not stop the edge from serving, so it never fails readiness.
        readiness.add("postgres-sink", () -> Readiness.Status.ok(String.format("%s; lag %d events, %.1f s; committed position %d",
                stats.up ? "up" : "retrying since " + (System.currentTimeMillis() - stats.downSinceMillis) / 1000 + " s: "
                        + stats.lastError, lagEvents.getAsLong(), lagSeconds.getAsDouble(), stats.committedPosition.get())));
        return new PostgresStack(local, db, sink, stats, housekeeping);
    }

    private static PostHogStack startPostHog(EdgeConfig config, JournalWriter journal, UUID node, JournalStats journalStats,
                                             EdgeMetrics metrics, Readiness readiness, SinkCursors cursors) {
        EdgeConfig.PostHogSink c = config.posthogSink();
        if (!c.enabled()) {
            readiness.add("posthog-sink", () -> Readiness.Status.ok("disabled: no POSTHOG_API_KEY"));
            return null;
        }
        PostHogStats ph = new PostHogStats();
        SinkStats stats = ph.sink;
        stats.backlogEnd.set(Math.max(1, journal.flushedPosition())); // before anything is appended
        PostHogSink sink = new PostHogSink(config.journalDir(), journal::flushedPosition, node,
                config.dataDir().resolve("posthog-cursor"),
                new PostHogSink.Settings(URI.create(c.host()), c.apiKey(), c.batchSize(), c.batchBytes(), c.linger(),
                        c.timeout(), c.maxBackoff(), c.maxLag(), c.sendIp(), c.gzip()),
                ph, cursors.register("posthog"));
        log.info("posthog: sending to {}, max-lag {}, send-ip {}", sink.endpoint(), c.maxLag(), c.sendIp());
        java.util.function.LongSupplier lagEvents = () -> Math.max(0,
                stats.backlogAtStart.get() + journalStats.appendedRecords.get() - stats.committedEvents.get());
        java.util.function.DoubleSupplier lagSeconds = () -> {
            long oldest = stats.oldestPendingMicros.get();
            return oldest == 0 ? 0 : Math.max(0, System.currentTimeMillis() / 1000.0 - oldest / 1e6);
        };
        metrics.gauge("edge_sink_posthog_up", "1 while the last request to PostHog was answered", () -> stats.up ? 1 : 0);
        metrics.gauge("edge_sink_posthog_lag_events", "Journaled events the PostHog cursor has not passed", lagEvents::getAsLong);
        metrics.gauge("edge_sink_posthog_lag_seconds", "Age of the oldest event not yet sent to PostHog", lagSeconds);
        metrics.gauge("edge_sink_posthog_committed_position_bytes", "Journal position of the PostHog cursor",
                () -> stats.committedPosition.get());
        metrics.counter("edge_sink_posthog_requests_total", "Requests sent to PostHog, whatever the answer", () -> ph.requests.get());
        metrics.counter("edge_sink_posthog_batches_total", "Requests PostHog accepted", () -> stats.batches.get());
        metrics.counter("edge_sink_posthog_events_sent_total", "Events PostHog accepted", () -> stats.rows.get());
        metrics.counter("edge_sink_posthog_events_rejected_total", "Events PostHog refused alone (400/413); skipped",
                () -> ph.rejected.get());
        metrics.counter("edge_sink_posthog_events_skipped_total", "Events given up unsent after waiting longer than max-lag",
                () -> ph.skippedMaxLag.get());
        metrics.counter("edge_sink_posthog_splits_total", "Requests split in two after a 413 or 400", () -> ph.splits.get());
        metrics.counter("edge_sink_posthog_failures_total", "Failed attempts (each is retried)", () -> stats.failures.get());
        // Informational: PostHog being down or slow never stops the edge from serving, so it never fails readiness.
        readiness.add("posthog-sink", () -> Readiness.Status.ok(String.format(
                "%s; lag %d events, %.1f s; sent %d, rejected %d, skipped (max-lag) %d; committed position %d",
                stats.up ? "up" : "retrying since " + (System.currentTimeMillis() - stats.downSinceMillis) / 1000 + " s: "
                        + stats.lastError, lagEvents.getAsLong(), lagSeconds.getAsDouble(), stats.rows.get(),
                ph.rejected.get(), ph.skippedMaxLag.get(), stats.committedPosition.get())));
        return new PostHogStack(sink, ph);
    }

    private static void closeQuietly(EventRing ring, JournalWriter journal, PostgresStack postgres, PostHogStack posthog,
                                     EdgeConfig config) {
        try {
            ring.drainAndStop(1, TimeUnit.SECONDS);
            journal.close();
            if (postgres != null) {
                postgres.stop(java.time.Duration.ofSeconds(1));
            }
            if (posthog != null) {
                posthog.stop(java.time.Duration.ofSeconds(1));
            }
        } catch (Exception e) {
            log.warn("cleanup after a failed start did not finish", e);
        }
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
        edge.startDraining();
        server.stopAccepting();
        // Order matters: no request may be read after the ring stops, or its response would wait forever.
        server.pauseReading();
        // Ingest bodies already read are published before the ring stops, and their answers queued.
        try {
            if (!ingest.drain(config.shutdownGrace())) {
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
        server.close(config.shutdownGrace());
        journal.close();
        responses.release();
        ingest.close();
        long sinksDeadline = System.nanoTime() + config.shutdownGrace().toNanos();
        if (posthog != null) {
            posthog.sink().drain(); // both sinks drain within the same grace
        }
        if (postgres != null) {
            postgres.stop(config.shutdownGrace());
        }
        if (posthog != null) {
            posthog.stop(java.time.Duration.ofNanos(Math.max(0, sinksDeadline - System.nanoTime())));
        }
        log.info("edge stopped in {} ms; journal flushed and synced at position {}",
                (System.nanoTime() - t0) / 1_000_000, journal.flushedPosition());
    }

    @Override
    public void close() throws IOException {
        stop();
    }
}
