package io.trackedge;

import io.trackedge.classify.EmailHistory;
import io.trackedge.clusters.MovedEventsForwarder;
import io.trackedge.config.EdgeConfig;
import io.trackedge.http.Readiness;
import io.trackedge.journal.JournalWriter;
import io.trackedge.metrics.EdgeMetrics;
import io.trackedge.metrics.SinkMetrics;
import io.trackedge.privacy.PrivacyPolicy;
import io.trackedge.sink.SinkCursors;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkStats;
import io.trackedge.sink.posthog.PostHogStats;
import io.trackedge.db.Database;
import io.trackedge.db.RoutingHistory;
import io.trackedge.sink.postgres.StoredEmailHistory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal's consumers that store events: the {@link PostgresStack} and the {@link PostHogStack},
 * either of which may be absent. They are built before the ring (the appender wakes them,
 * {@link #wakeUp}), their loops start once the listeners are up, and they stop side by side.
 */
final class SinksStack {

    private static final Logger log = LoggerFactory.getLogger(SinksStack.class);
    static final Duration FIRST_BACKOFF = Duration.ofMillis(100);

    /** One per PostgreSQL cluster, in the clusters' order (the first is the home cluster); empty without one. */
    private final List<PostgresStack> postgres;
    private final PostHogStack posthog;

    private SinksStack(List<PostgresStack> postgres, PostHogStack posthog) {
        this.postgres = postgres;
        this.posthog = posthog;
    }

    /**
     * Builds the sinks, the Postgres ones first (the PostHog one sets bad events aside in the home database).
     *
     * @param localServer with no database url, as root: the PostgreSQL the local database is in
     */
    static SinksStack start(EdgeConfig config, JournalWriter journal, UUID node, EdgeMetrics metrics, Readiness readiness,
                            SinkCursors cursors, SinkMetrics sinkMetrics, ClassifyStack classify, PrivacyPolicy privacy,
                            RoutingHistory routing, InetSocketAddress localServer) {
        List<PostgresStack> postgres = config.postgresSink().enabled()
                ? PostgresStack.startAll(config, journal, node, readiness, cursors, sinkMetrics, classify, privacy, routing, localServer)
                : List.of();
        EmailHistory stored = postgres.isEmpty() || !classify.recallFromDatabase() ? null : storedHistory(config, postgres, routing);
        if (stored != null) {
            postgres.forEach(p -> p.sink().classifier().recallFrom(stored));
        }
        PostHogStack posthog = PostHogStack.start(config, journal, node, metrics, readiness, cursors, sinkMetrics,
                postgres.isEmpty() ? null : postgres.get(0).db(), stored, classify, privacy);
        List<MovedEventsForwarder> forwarders = PostgresStack.forwardMovedEvents(config, postgres, classify, privacy, routing);
        metrics.counter("edge_moved_events_forwarded_total", "Events an edge on an older routing table set aside in the cluster a"
                + " tenant was moved out of, forwarded by this edge to the tenant's cluster and written there (or written where they were"
                + " set aside, once the tenant was moved back there)",
                () -> forwarders.stream().mapToLong(MovedEventsForwarder::forwarded).sum());
        return new SinksStack(postgres, posthog);
    }

    /** A sink's stats, its start-up backlog counted up to the journal's end now, before anything is appended. */
    static SinkStats backlogStats(JournalWriter journal) {
        SinkStats stats = new SinkStats();
        stats.backlogEnd.set(Math.max(1, journal.flushedPosition()));
        return stats;
    }

    /** The home database (the first cluster's), or null without one. */
    Database db() {
        return postgres.isEmpty() ? null : postgres.get(0).db();
    }

    /**
     * What every sink's classifier asks about emails its node has not seen sent: behind a load
     * balancer an email's delivery and its first open often reach different nodes. A tenant's events
     * are in its cluster, and in any other cluster the routing history still sends some of them to.
     */
    private static EmailHistory storedHistory(EdgeConfig config, List<PostgresStack> postgres, RoutingHistory routing) {
        if (routing == null) {
            return StoredEmailHistory.of(postgres.get(0).db());
        }
        List<String> names = config.database().clusters().list().stream().map(EdgeConfig.Cluster::name).toList();
        return new StoredEmailHistory(tenant -> routing.clustersOf(tenant).stream()
                .map(name -> postgres.get(names.indexOf(name)).db()).toList());
    }

    /**
     * Other edges seen recently that route by another table than this one, the most any cluster saw; on one database, the
     * edges with clusters seen in it.
     */
    int routingTablesDiffering() {
        int most = 0;
        for (PostgresStack p : postgres) {
            if (p.routingAgreement() != null) {
                most = Math.max(most, p.routingAgreement().differing());
            }
        }
        return most;
    }

    /** Every cluster's database, in the clusters' order; empty without one. */
    List<Database> dbs() {
        return postgres.stream().map(PostgresStack::db).toList();
    }

    /** New events are in the journal: each running sink looks. */
    void wakeUp() {
        for (PostgresStack p : postgres) {
            p.loop().wakeUp();
        }
        if (posthog != null) {
            posthog.loop().wakeUp();
        }
    }

    void startLoops() {
        for (PostgresStack p : postgres) {
            p.loop().start();
        }
        if (posthog != null) {
            posthog.loop().start();
        }
    }

    /**
     * Both sinks drain side by side until {@code deadlineNanos}; what is not committed by then
     * stays in the journal for the next start.
     */
    void stop(long deadlineNanos) {
        List<SinkLoop> loops = new ArrayList<>(postgresLoops());
        loops.add(posthogLoop());
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
        for (PostgresStack p : postgres) {
            p.close(deadlineNanos);
        }
    }

    PostHogStats posthogStats() {
        return posthog == null ? null : posthog.stats();
    }

    SinkLoop posthogLoop() {
        return posthog == null ? null : posthog.loop();
    }

    /** The home cluster's Postgres loop, or null without one. */
    SinkLoop postgresLoop() {
        return postgres.isEmpty() ? null : postgres.get(0).loop();
    }

    /** Every cluster's Postgres loop, in the clusters' order. */
    List<SinkLoop> postgresLoops() {
        return postgres.stream().map(PostgresStack::loop).toList();
    }

    SinkStats postgresStats() {
        return postgres.isEmpty() ? null : postgres.get(0).stats();
    }
}
