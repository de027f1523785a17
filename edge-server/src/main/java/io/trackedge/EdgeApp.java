package io.trackedge;

import io.trackedge.config.ConfigException;
import io.trackedge.config.EdgeConfig;
import io.trackedge.db.LocalPostgres;
import io.trackedge.db.PostgresConnectionInfo;
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
import io.trackedge.journal.NodeIdDamagedException;
import io.trackedge.metrics.EdgeMetrics;
import io.trackedge.ring.EventRing;
import io.trackedge.metrics.SinkMetrics;
import io.trackedge.sink.SinkCursors;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkStats;
import io.trackedge.sink.posthog.PostHogStats;
import io.trackedge.token.KeyRing;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running edge, wired by hand: journal writer, sinks ({@link SinksStack}), ring and appender
 * ({@link RingStack}), metrics, readiness and the listeners. {@link #start} builds it in dependency order;
 * {@link #stop} takes it down in reverse ({@link EdgeStop}), draining the ring into the journal and the
 * journal into PostgreSQL and PostHog.
 */
public final class EdgeApp implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EdgeApp.class);

    private final EdgeServer server;
    private final EdgeMetrics metrics;
    private final SinksStack sinks;
    private final IngestApi ingest;
    private final EdgeStop stop;
    private boolean stopped;

    private EdgeApp(EdgeServer server, EdgeMetrics metrics, SinksStack sinks, IngestApi ingest, EdgeStop stop) {
        this.server = server;
        this.metrics = metrics;
        this.sinks = sinks;
        this.ingest = ingest;
        this.stop = stop;
    }

    /**
     * With tenants over several clusters, the routing tables this journal was written under, the
     * configured one in force from where the next event goes ({@link RoutingHistoryFile}); else null.
     * A history that cannot be kept to is a configuration error: the journal is closed and nothing starts.
     */
    private static RoutingHistory routingHistory(EdgeConfig config, JournalWriter journal) throws IOException {
        EdgeConfig.Clusters clusters = config.database().clusters();
        if (clusters.list().isEmpty()) {
            try {
                // Kept for the day clusters are configured: what the journal holds then went to this database.
                String url = config.database().url();
                RoutingHistoryFile.recordSingle(config.journalDir(), url.isEmpty() ? null : address(config, url),
                        journal.flushedPosition(), journal.oldestPosition());
            } catch (IOException | RuntimeException e) {
                log.warn("cannot record the journal's routing in {}: if clusters are configured later, events still in the "
                        + "journal may be written to a second cluster ({})", config.journalDir().resolve(RoutingHistoryFile.NAME),
                        e.getMessage());
            }
            return null;
        }
        try {
            RoutingHistory history = RoutingHistoryFile.update(config.journalDir(), clusters.routing(),
                    address(config, clusters.list().get(0).url()), journal.flushedPosition(), journal.oldestPosition());
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

    /** {@code url}'s {@link PostgresConnectionInfo#address}: where a database is, whatever the URL's spelling. */
    private static String address(EdgeConfig config, String url) {
        return PostgresConnectionInfo.parse(url, config.database().user(), config.database().password()).address();
    }

    public static EdgeApp start(EdgeConfig config, KeyRing keys) throws IOException, InterruptedException {
        return start(config, keys, LocalPostgres.ROOT_SERVER);
    }

    /**
     * As {@link #start(EdgeConfig, KeyRing)}, the local database (no url, as root) in the PostgreSQL at
     * {@code localServer}: a test's own server, which it stops and starts.
     */
    static EdgeApp start(EdgeConfig config, KeyRing keys, InetSocketAddress localServer) throws IOException, InterruptedException {
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
        UUID node;
        try {
            node = NodeId.loadOrCreate(config.journalDir());
        } catch (NodeIdDamagedException e) { // exit 2: systemd restarted the edge every 2 s on a file only an operator can mend
            journal.close();
            throw new ConfigException(List.of("edge.data-dir: " + e.getMessage()));
        }
        RoutingHistory routing = routingHistory(config, journal);
        // A segment is deleted only once every sink has passed it.
        SinkCursors cursors = new SinkCursors(journal::releaseBefore);
        SinkMetrics sinkMetrics = new SinkMetrics(metrics, stats.appendedRecords::get);
        PrivacyStack privacy = new PrivacyStack(config); // what both sinks may store and send
        SinksStack sinks = SinksStack.start(config, journal, node, metrics, readiness, cursors, sinkMetrics, classify,
                privacy.policy(), routing, localServer);
        privacy.attach(sinks.dbs(), config.database().clusters().routing());
        metrics.gauge("edge_routing_tables_differing", "Other edges seen in the last 15 minutes in one of the clusters that route"
                + " tenants by another routing table than this edge, or that write every tenant there from one database (trackedge"
                + " clusters check); on one database, the edges with clusters seen in it", sinks::routingTablesDiffering);
        EventRing ring = RingStack.start(config, journal, stats, sinks, metrics, readiness);

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
        readiness.addCritical("accepting", () -> edge.isDraining()
                ? Readiness.Status.failing("shutting down") : Readiness.Status.ok("accepting connections"));
        EdgeServer server;
        try {
            server = EdgeServer.start(config.http(), config.admin(), edge, metrics, readiness, dashboard);
        } catch (RuntimeException | InterruptedException e) {
            ingest.close();
            privacy.close();
            EdgeStop.closeAll(routePools);
            if (reads != null) {
                reads.close();
            }
            EdgeStop.afterFailedStart(ring, journal, sinks);
            throw e;
        }
        sinks.startLoops();
        // Jobs: after the sink, which applies the migrations; a runner retries until the tables exist.
        JobsStack jobs = JobsStack.start(config, sinks.dbs(), node, metrics, readiness);
        log.info("edge started: node {}, ack={}, journal={}, profile={}", node, config.ack().name().toLowerCase(),
                config.journalDir(), config.profile().name().toLowerCase());
        EdgeStop stop = new EdgeStop(new EdgeStop.Parts(edge, server, ingest, ring, routePools, journal, responses, reads, jobs,
                privacy, sinks), config.shutdownGrace(), config.shutdownDrainDelay());
        return new EdgeApp(server, metrics, sinks, ingest, stop);
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
        stop.run();
    }

    @Override
    public void close() throws IOException {
        stop();
    }
}
