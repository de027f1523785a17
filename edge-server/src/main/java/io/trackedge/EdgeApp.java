package io.trackedge;

import io.trackedge.config.ConfigException;
import io.trackedge.config.EdgeConfig;
import io.trackedge.db.RoutingHistory;
import io.trackedge.db.RoutingHistoryFile;
import io.trackedge.dashboard.Dashboard;
import io.trackedge.http.AddressRateLimit;
import io.trackedge.http.ClientAddress;
import io.trackedge.http.EdgeContext;
import io.trackedge.http.EdgeServer;
import io.trackedge.http.ErasureRoute;
import io.trackedge.http.Readiness;
import io.trackedge.http.Responses;
import io.trackedge.ingest.IngestApi;
import io.trackedge.ingest.IngestKeyCache;
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
import io.trackedge.sink.posthog.PostHogStats;
import io.trackedge.token.KeyRing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running edge, wired by hand: journal writer, sinks ({@link SinksStack}), ring and appender,
 * metrics, readiness and the listeners. {@link #start} builds it in dependency order; {@link #stop} takes
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
    private final SinksStack sinks;
    private final IngestApi ingest;
    /** The read API and dashboard, or null without a database. */
    private final StatsStack stats;
    private final JobsStack jobs;
    /** The erasure list's refresher reads the sinks' databases: stopped before they close. */
    private final PrivacyStack privacy;
    /** The worker pools of routes the server calls (erasure, dashboard): closed once it has stopped. */
    private final List<AutoCloseable> routePools;
    private boolean stopped;

    private EdgeApp(EdgeConfig config, JournalWriter journal, EventRing ring, EdgeContext edge, EdgeServer server,
                    Responses responses, EdgeMetrics metrics, SinksStack sinks, IngestApi ingest, JobsStack jobs,
                    StatsStack stats, PrivacyStack privacy, List<AutoCloseable> routePools) {
        this.stats = stats;
        this.privacy = privacy;
        this.routePools = routePools;
        this.config = config;
        this.journal = journal;
        this.ring = ring;
        this.edge = edge;
        this.server = server;
        this.responses = responses;
        this.metrics = metrics;
        this.sinks = sinks;
        this.ingest = ingest;
        this.jobs = jobs;
    }

    /**
     * With tenants over several clusters, the routing tables this journal was written under, the
     * configured one in force from where the next event goes ({@link RoutingHistoryFile}); else null.
     * A history that cannot be kept to is a configuration error: the journal is closed and nothing starts.
     */
    private static RoutingHistory routingHistory(EdgeConfig config, JournalWriter journal) throws IOException {
        EdgeConfig.Clusters clusters = config.database().clusters();
        if (clusters.list().isEmpty()) {
            return null;
        }
        try {
            RoutingHistory history = RoutingHistoryFile.update(config.journalDir(), clusters.routing(), journal.flushedPosition(),
                    journal.oldestPosition());
            if (history.epochs().size() > 1) {
                log.info("journal positions before {} go by the routing tables they were accepted under ({} tables; {})",
                        history.epochs().get(history.epochs().size() - 1).from(), history.epochs().size(),
                        config.journalDir().resolve(RoutingHistoryFile.NAME));
            }
            return history;
        } catch (IllegalStateException e) {
            journal.close();
            throw new ConfigException(List.of("edge.database.clusters: " + e.getMessage()));
        }
    }

    public static EdgeApp start(EdgeConfig config, KeyRing keys) throws IOException, InterruptedException {
        EdgeMetrics metrics = new EdgeMetrics();
        Readiness readiness = new Readiness();
        // The lists first: one that does not parse stops the start before anything is opened.
        ClassifyStack classify = ClassifyStack.start(config, readiness, metrics);
        ClientAddress clients = new ClientAddress(config.trustedProxies());
        RateLimitExemptions.Limit limit = RateLimitExemptions.limit(config.http().rateLimit(), clients, classify.lists(),
                config.dataDir());
        AddressRateLimit rateLimit = limit == null ? null : limit.limit();
        // Always exported (0 with the limit off), so that the shipped alert has a series to read.
        metrics.counter("edge_events_rate_limited_total",
                "Opens and clicks answered but not recorded because their client address was over edge.http.rate-limit",
                () -> rateLimit == null ? 0 : rateLimit.refused());
        metrics.counter("edge_events_rate_limit_evictions_total",
                "Addresses still sending whose allowance was forgotten for a new address (edge.http.rate-limit.addresses too small)",
                () -> rateLimit == null ? 0 : rateLimit.evictions());
        JournalStats stats = new JournalStats();
        JournalWriter journal = JournalWriter.open(config.journalDir(), config.journal().segmentBytes(),
                config.journal().maxBytes(), stats);
        UUID node = NodeId.loadOrCreate(config.journalDir());
        RoutingHistory routing = routingHistory(config, journal);
        // A segment is deleted only once every sink has passed it.
        SinkCursors cursors = new SinkCursors(journal::releaseBefore);
        SinkMetrics sinkMetrics = new SinkMetrics(metrics, stats.appendedRecords::get);
        PrivacyStack privacy = new PrivacyStack(config); // what both sinks may store and send
        SinksStack sinks = SinksStack.start(config, journal, node, metrics, readiness, cursors, sinkMetrics, classify,
                privacy.policy(), routing);
        privacy.attach(sinks.dbs(), config.database().clusters().routing());
        JournalAppender appender = new JournalAppender(journal, config.ack(), sinks::wakeUp);
        EventRing ring = new EventRing(config.ring().size(), config.ring().waitStrategy(), appender);
        metrics.journal(stats, appender::writeFailures, appender::lostToWriteFailures);
        metrics.gauge("edge_ring_remaining_capacity", "Free slots in the ring", ring::remainingCapacity);
        metrics.counter("edge_journal_batches_inline_total",
                "Journal batches an event loop wrote itself (edge.ring.wait-strategy = inline)", ring::inlineTurns);
        metrics.counter("edge_journal_batches_appender_thread_total",
                "Journal batches the journal-appender thread wrote for the loops (edge.ring.wait-strategy = inline: "
                        + "rolls and deletes due, ack=fsync, ingest, missed hand-offs)", ring::appenderThreadTurns);
        metrics.counter("edge_journal_appender_wakeups_total",
                "Times the journal-appender thread woke, by a hand-off or its timer (edge.ring.wait-strategy = inline: "
                        + "every 1 ms while the loops write, backing off to 50 ms when nothing is written)", ring::appenderThreadWakes);
        metrics.counter("edge_journal_appender_missed_handoffs_total",
                "Turns the journal-appender thread took unasked, for events a whole tick found published and not written, "
                        + "not counting what its own last turn left "
                        + "(edge.ring.wait-strategy = inline): a hand-off no writer took, or a loop not yet at its turn", ring::appenderMissedHandOffs);
        metrics.counter("edge_journal_slow_disk_pauses_total",
                "Times the event loops stopped writing the journal because two of their turns in a row took 5 ms or more "
                        + "(edge.ring.wait-strategy = inline): the journal-appender thread writes for 1 s, doubling up to 64 s "
                        + "while the disk stays slow", ring::slowDiskPauses);
        metrics.gauge("edge_journal_slow_disk_paused", "1 while the journal-appender thread writes the loops' batches "
                + "because the disk is slow, else 0", ring::slowDiskPaused);
        metrics.gauge("edge_journal_position_bytes", "Journal position past the last record written", journal::flushedPosition);
        metrics.gauge("edge_journal_max_bytes", "edge.journal.max-bytes: the cap on all segments (journal use = size / max)",
                () -> config.journal().maxBytes());

        Responses responses = new Responses();
        IngestApi ingest = IngestApi.start(config, ring, metrics, sinks.db());
        StatsStack reads = StatsStack.start(config, sinks.dbs(), ingest.service().keys());
        if (reads != null) {
            metrics.gauge("edge_stats_queries_running", "Stats API and dashboard queries running now", reads.service()::queriesRunning);
            metrics.gauge("edge_stats_requests_waiting", "Stats API and dashboard requests waiting for a worker (503 past "
                    + StatsStack.QUEUE + ")", reads.service()::requestsWaiting);
        }
        ErasureRoute erasure = privacy.eraser() == null ? null : new ErasureRoute(privacy.eraser());
        Dashboard dashboard = reads == null ? null : new Dashboard(reads.service(), metrics, readiness);
        List<AutoCloseable> routePools = Stream.<AutoCloseable>of(erasure, dashboard, limit == null ? null : limit.exemptions())
                .filter(Objects::nonNull).toList();
        EdgeContext edge = new EdgeContext(ring, responses, metrics, config.ack(), config.ring().fullPolicy(),
                clients, keys, ingest.service(), reads == null ? null : reads.service(), erasure, rateLimit);
        readiness.addCritical("journal", () -> appender.healthy()
                ? Readiness.Status.ok("writing to " + config.journalDir() + ", position " + journal.flushedPosition())
                : Readiness.Status.failing(appender.health().detail()));
        readiness.addCritical("ring", () -> {
            long free = ring.remainingCapacity();
            String detail = free + " of " + ring.size() + " slots free";
            return free > 0 ? Readiness.Status.ok(detail) : Readiness.Status.failing(detail);
        });
        readiness.addCritical("accepting", () -> edge.isDraining()
                ? Readiness.Status.failing("shutting down") : Readiness.Status.ok("accepting connections"));
        EdgeServer server;
        try {
            server = EdgeServer.start(config.http(), config.admin(), edge, metrics, readiness, dashboard);
        } catch (RuntimeException | InterruptedException e) {
            ingest.close();
            privacy.close();
            closeAll(routePools);
            if (reads != null) {
                reads.close();
            }
            closeQuietly(ring, journal, sinks);
            throw e;
        }
        sinks.startLoops();
        // Jobs: after the sink, which applies the migrations; a runner retries until the tables exist.
        JobsStack jobs = JobsStack.start(config, sinks.dbs(), node, metrics, readiness);
        log.info("edge started: node {}, ack={}, journal={}, profile={}", node, config.ack().name().toLowerCase(),
                config.journalDir(), config.profile().name().toLowerCase());
        return new EdgeApp(config, journal, ring, edge, server, responses, metrics, sinks, ingest, jobs, reads, privacy, routePools);
    }

    private static void closeAll(List<AutoCloseable> pools) {
        for (AutoCloseable p : pools) {
            try {
                p.close();
            } catch (Exception e) {
                log.warn("closing {} failed", p, e);
            }
        }
    }

    private static void closeQuietly(EventRing ring, JournalWriter journal, SinksStack sinks) {
        // Each step on its own: a journal that cannot be synced must not keep the sinks running.
        try {
            ring.drainAndStop(1, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("cleanup after a failed start: the ring did not stop", e);
        }
        try {
            journal.close();
        } catch (Exception e) {
            log.warn("cleanup after a failed start: the journal did not close cleanly", e);
        }
        try {
            sinks.stop(System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
        } catch (Exception e) {
            log.warn("cleanup after a failed start: the sinks did not stop", e);
        }
    }

    /** The least time the ring is given to drain at a stop, whatever the steps before it took of the grace. */
    static final long RING_DRAIN_FLOOR_MILLIS = 1_000;

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
        return sinks.posthogStats();
    }

    /** The PostHog sink's loop (state, stats), or null when it is not running. */
    public SinkLoop posthogSinkLoop() {
        return sinks.posthogLoop();
    }

    /** The ingest API's key cache (its state, e.g. whether an unknown key would reload it now). */
    public IngestKeyCache ingestKeys() {
        return ingest.service().keys();
    }

    /** The Postgres sink's loop (state, stats), or null when it is not running. */
    public SinkLoop postgresSinkLoop() {
        return sinks.postgresLoop();
    }

    /** Every PostgreSQL cluster's sink loop, in the clusters' order; empty when none runs. */
    public java.util.List<SinkLoop> postgresSinkLoops() {
        return sinks.postgresLoops();
    }

    /** Statistics of the Postgres sink, or null when it is not running. */
    public SinkStats postgresSinkStats() {
        return sinks.postgresStats();
    }

    /**
     * Stops accepting, drains the ring into the journal, releases every held response, closes the
     * listeners, flushes and fsyncs the journal, and gives the sinks (PostgreSQL, PostHog) the shutdown grace to
     * catch up. Idempotent.
     *
     * @throws IOException after every other step, when the journal could not be flushed or forced to
     *     disk (a segment rolled earlier included), so that the process exits non-zero
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
        // What the ingest drain left, but at least a second: the ring's events may be answered already (ack=memory),
        // and it drains in milliseconds unless the disk stalls. A fresh grace here made a stop up to twice the grace,
        // past a TimeoutStopSec set just above it.
        long ringMillis = Math.max(RING_DRAIN_FLOOR_MILLIS, left(deadline).toMillis());
        try {
            ring.drainAndStop(ringMillis, TimeUnit.MILLISECONDS);
        } catch (com.lmax.disruptor.TimeoutException e) {
            log.error("the ring did not drain within {} ms; events still in it are lost", ringMillis);
        }
        // The appender has told every gate; let the loops release the held responses before closing.
        server.awaitLoops();
        server.close(left(deadline));
        closeAll(routePools);
        IOException journalFailure = null;
        try {
            journal.close();
        } catch (IOException e) {
            journalFailure = e; // the rest of the stop still runs: the sinks get their grace
        } catch (UncheckedIOException e) {
            journalFailure = e.getCause(); // the last write failed
        }
        responses.release();
        ingest.close();
        if (stats != null) {
            stats.close();
        }
        if (jobs != null) {
            jobs.stop(left(deadline)); // a job still running is left to its lease: another node takes it
        }
        privacy.close();
        sinks.stop(deadline);
        if (journalFailure != null) {
            log.error("edge stopped in {} ms; journal written to position {} but not forced to disk: "
                    + "events in it may not survive a power cut or a failing disk",
                    (System.nanoTime() - t0) / 1_000_000, journal.flushedPosition(), journalFailure);
            throw journalFailure;
        }
        log.info("edge stopped in {} ms; journal flushed and synced at position {}",
                (System.nanoTime() - t0) / 1_000_000, journal.flushedPosition());
    }

    @Override
    public void close() throws IOException {
        stop();
    }
}
