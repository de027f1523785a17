package io.trackedge;

import io.trackedge.config.EdgeConfig;
import io.trackedge.http.Readiness;
import io.trackedge.journal.JournalWriter;
import io.trackedge.metrics.SinkMetrics;
import io.trackedge.privacy.PrivacyPolicy;
import io.trackedge.sink.SinkCursors;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkLoopSettings;
import io.trackedge.sink.SinkStats;
import io.trackedge.db.Database;
import io.trackedge.db.LocalPostgres;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.db.RoutingHistory;
import io.trackedge.db.TenantRouting;
import io.trackedge.db.TenantShare;
import io.trackedge.classify.ListSource;
import io.trackedge.clusters.ClusterIdentities;
import io.trackedge.clusters.MovedEventsForwarder;
import io.trackedge.clusters.RoutingAgreement;
import io.trackedge.sink.postgres.PostgresReplay;
import io.trackedge.sink.postgres.PostgresSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database (the configured one, or a local one started in the data folder), the Postgres sink
 * and its loop, and its hourly housekeeping. A local database that cannot start with the edge is
 * started by the sink's retries: meanwhile the edge answers, journals everything, and reports the
 * sink down.
 *
 * @param local the local database, or null when {@code edge.database.url} names one
 * @param routingAgreement whether the edges writing here route by this edge's table (on one database: whether edges with
 *     clusters write here too); null for none
 * @param identities with clusters, the databases the edge's cluster names reach (one for all its clusters); else null
 */
record PostgresStack(LocalPostgres local, Database db, PostgresSink sink, SinkLoop loop,
                     ScheduledExecutorService housekeeping, RoutingAgreement routingAgreement, ClusterIdentities identities) {

    private static final Logger log = LoggerFactory.getLogger(PostgresStack.class);
    /** A PostgreSQL data exception is about the data, however many come in a row. */
    private static final int MAX_CONSECUTIVE_BAD = Integer.MAX_VALUE;

    /**
     * One sink per cluster when tenants are spread over several ({@code edge.database.clusters}),
     * each writing its clusters' tenants and passing the others' events, an event by the routing
     * table in force when it was written ({@code routing}); else the one sink.
     *
     * @param localServer with no url, as root: the PostgreSQL the local database is in ({@link LocalPostgres#ROOT_SERVER})
     */
    static List<PostgresStack> startAll(EdgeConfig config, JournalWriter journal, UUID node, Readiness readiness,
                                        SinkCursors cursors, SinkMetrics sinkMetrics, ClassifyStack classify,
                                        PrivacyPolicy privacy, RoutingHistory routing, InetSocketAddress localServer) {
        EdgeConfig.Clusters clusters = config.database().clusters();
        if (clusters.list().isEmpty()) {
            return List.of(start(config, null, (position, tenant) -> true, null, null, journal, node, readiness, cursors,
                    sinkMetrics, classify, privacy, localServer));
        }
        List<PostgresStack> out = new ArrayList<>();
        ClusterIdentities identities = new ClusterIdentities(clusters.list().stream().map(EdgeConfig.Cluster::name).toList());
        for (EdgeConfig.Cluster cluster : clusters.list()) {
            out.add(start(config, cluster, routing.shareOf(cluster.name()), routing.current(), identities, journal, node, readiness,
                    cursors, sinkMetrics, classify, privacy, localServer));
        }
        return List.copyOf(out);
    }

    /**
     * With clusters: each cluster's {@link MovedEventsForwarder}, run each minute on its housekeeping
     * thread, replaying with the privacy rules, classification and retention the sinks use; none
     * without clusters.
     */
    static List<MovedEventsForwarder> forwardMovedEvents(EdgeConfig config, List<PostgresStack> stacks, ClassifyStack classify,
                                                         PrivacyPolicy privacy, RoutingHistory routing) {
        List<EdgeConfig.Cluster> clusters = config.database().clusters().list();
        if (clusters.isEmpty() || stacks.size() != clusters.size()) {
            return List.of();
        }
        Map<String, Database> dbs = new LinkedHashMap<>();
        for (int i = 0; i < clusters.size(); i++) {
            dbs.put(clusters.get(i).name(), stacks.get(i).db());
        }
        boolean classifies = config.classify().enabled();
        Function<Database, PostgresReplay> replayOn = db -> new PostgresReplay(db, privacy,
                classifies ? config.classify().settings() : null, classifies ? classify.lists() : ListSource.snapshot(),
                config.database().retentionDays());
        List<MovedEventsForwarder> out = new ArrayList<>();
        for (int i = 0; i < clusters.size(); i++) {
            MovedEventsForwarder f = new MovedEventsForwarder(clusters.get(i).name(), stacks.get(i).db(), dbs, routing.current(),
                    stacks.get(i).identities(), replayOn);
            stacks.get(i).housekeeping().scheduleWithFixedDelay(f, 0, 1, TimeUnit.MINUTES);
            out.add(f);
        }
        return List.copyOf(out);
    }

    /**
     * Builds the sink and its loop (not started); registers its readiness check and metrics. With a
     * cluster, its sink writes only to a database that holds no other of the edge's clusters' cursor,
     * and its housekeeping learns which database the cluster's name reaches ({@code identities}).
     */
    private static PostgresStack start(EdgeConfig config, EdgeConfig.Cluster cluster, TenantShare tenants, TenantRouting routing,
                                       ClusterIdentities identities, JournalWriter journal, UUID node, Readiness readiness, SinkCursors cursors,
                                       SinkMetrics sinkMetrics, ClassifyStack classify, PrivacyPolicy privacy,
                                       InetSocketAddress localServer) {
        EdgeConfig.Database dbc = config.database();
        LocalPostgres local = null;
        PostgresConnectionInfo info;
        String name = cluster == null ? PostgresSink.NAME : PostgresSink.NAME + "_" + cluster.name();
        if (cluster != null) {
            info = PostgresConnectionInfo.parse(cluster.url(), dbc.user(), dbc.password());
            log.info("database cluster {}: {}", cluster.name(), info.redactedUrl());
        } else if (dbc.url().isEmpty()) {
            try {
                local = LocalPostgres.of(config.dataDir(), dbc.embeddedPort(), localServer);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot choose a port for the embedded PostgreSQL", e);
            }
            info = local.info();
            try {
                local.start();
                log.info("database: {}; connect with: {}", local.description(), info.psqlHint());
            } catch (IOException | RuntimeException e) {
                // The edge still answers and journals everything; the sink reports itself down and
                // starts the database on a later retry, when it can (DatabaseDownAtStartIT).
                log.error("cannot start the local database ({}), so events wait in the journal; the {} sink tries again "
                        + "with backoff: {}", local.description(), name, e.getMessage());
            }
        } else {
            info = PostgresConnectionInfo.parse(dbc.url(), dbc.user(), dbc.password());
            log.info("database: {}", info.redactedUrl());
        }
        Database db = new Database(info, dbc.poolSize());
        EdgeConfig.PostgresSink c = config.postgresSink();
        // Retention is the retention job's where this node runs jobs; the hourly housekeeping then only makes partitions.
        // Either way the sink sets aside an event of a day retention dropped.
        boolean sinkDrops = !config.jobs().enabled();
        Set<String> siblings = cluster == null ? Set.of() : dbc.clusters().list().stream().map(k -> PostgresSink.NAME + "_" + k.name())
                .filter(n -> !n.equals(name)).collect(Collectors.toSet());
        PostgresSink sink = new PostgresSink(db, node,
                new PostgresSink.Settings(dbc.migrateOnStart(), dbc.retentionDays(), sinkDrops, name, tenants, siblings),
                classify.newClassifier(), privacy);
        sink.journalOpenedEnd(journal.openedEnd());
        if (local != null) {
            sink.openAfter(startLocal(local));
        }
        SinkLoop loop = new SinkLoop(sink, config.journalDir(), journal::flushedPosition,
                new SinkLoopSettings(c.batchSize(), c.linger(), SinksStack.FIRST_BACKOFF, c.maxBackoff(), c.stallAfter(),
                        MAX_CONSECUTIVE_BAD, config.sinkIdleWait()),
                SinksStack.backlogStats(journal), cursors.register(name));
        ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "db-housekeeping" + (cluster == null ? "" : "-" + cluster.name()));
            t.setDaemon(true);
            return t;
        });
        housekeeping.scheduleWithFixedDelay(sink::maintainPartitions, 1, 1, TimeUnit.HOURS);
        // On one database too: an edge given a cluster's address as edge.database.url writes every tenant there, which the
        // edges with clusters see by its row.
        RoutingAgreement agreement = cluster == null ? RoutingAgreement.oneDatabase(db, node, PostgresSink.hostName(), Instant::now)
                : new RoutingAgreement(cluster.name(), db, node, PostgresSink.hostName(), routing, identities, Instant::now);
        housekeeping.scheduleWithFixedDelay(agreement, 0, 1, TimeUnit.MINUTES);
        sinkMetrics.add(loop, readiness);
        sinkMetrics.clientIdsReused(name, sink::clientIdsReused);
        return new PostgresStack(local, db, sink, loop, housekeeping, agreement, cluster == null ? null : identities);
    }

    /** The local database's start as a sink's prerequisite: a failure is a connection failure, retried. */
    private static PostgresSink.Prerequisite startLocal(LocalPostgres local) {
        return () -> {
            try {
                local.start();
            } catch (IOException | RuntimeException e) {
                throw new SQLException("cannot start the local database: " + e.getMessage(), "08001", e);
            }
        };
    }

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
        db.closeBy(deadlineNanos);
        if (local != null) {
            try {
                local.close();
            } catch (IOException e) {
                log.warn("stopping the local database: {}", e.getMessage());
            }
        }
    }
}
