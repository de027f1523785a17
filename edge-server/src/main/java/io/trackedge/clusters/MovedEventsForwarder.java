package io.trackedge.clusters;

import io.trackedge.db.Database;
import io.trackedge.db.SqlStates;
import io.trackedge.db.TenantRouting;
import io.trackedge.sink.bad.BadEvents;
import io.trackedge.sink.bad.ReplayOutcome;
import io.trackedge.sink.postgres.MovedTenants;
import io.trackedge.sink.postgres.PostgresReplay;
import io.trackedge.sink.postgres.PostgresSink;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards, each minute, the events an edge still on the routing table from before a tenant's move set
 * aside in the cluster the tenant left (error code {@value MovedTenants#CODE}) to the cluster it lives
 * in now, and writes them there ({@link MovedBadEvents}), so they need no {@code bad-events replay}.
 * Only when this edge routes the tenant where the moves' marks say it went, followed from cluster to
 * cluster ({@link MarkChain}: a tenant moved on again is marked only where it left last): an edge that
 * disagrees (itself on an older table, or on another one) leaves the rows for an operator, as it does a
 * row whose forward was refused once. The rows of a tenant moved back here since (its mark lifted) and routed
 * here, set aside while the mark still said it was elsewhere, are written here ({@link MovedBackEvents}).
 * Each cluster's edges all run it; two at once write nothing twice, nor does a forward after one that wrote
 * a row in a cluster the tenant has left since ({@link EarlierForwards}).
 * A cluster that cannot be reached is tried again the next minute, and the rows whose way passes it wait;
 * the edge goes on.
 */
public final class MovedEventsForwarder implements Runnable {

    /** The most rows one run takes from one cluster: the rest go the next minute. */
    static final int ROWS_PER_RUN = 1000;

    private static final Logger log = LoggerFactory.getLogger(MovedEventsForwarder.class);

    private final String cluster;
    private final int rowsPerRun;
    private final Database here;
    private final Map<String, Database> clusters;
    private final EarlierForwards.Clusters clustersView;
    private final TenantRouting routing;
    private final ClusterIdentities identities;
    private final MovedBadEvents forwarding;
    private final MovedBackEvents movedBack;
    private final AtomicLong forwarded = new AtomicLong();
    private boolean failing;
    /** Clusters whose database another name reaches, said once each. */
    private final Set<String> sharedSaid = new HashSet<>();

    /**
     * @param cluster the name of the cluster {@code here} is
     * @param clusters every cluster's database, by name
     * @param routing the table this edge routes new events by
     * @param identities the databases the edge's cluster names reach: a cluster whose database is not known yet, or
     *     is another name's too (its sink does not write there), is not forwarded to
     * @param replayOn the PostgreSQL replay of a cluster's own rows, with the privacy rules and classification the sinks use
     */
    public MovedEventsForwarder(String cluster, Database here, Map<String, Database> clusters, TenantRouting routing,
                                ClusterIdentities identities, Function<Database, PostgresReplay> replayOn) {
        this(cluster, here, clusters, routing, identities, replayOn, ROWS_PER_RUN);
    }

    /** @param rowsPerRun the most rows one run takes ({@link #ROWS_PER_RUN}); tests take fewer */
    MovedEventsForwarder(String cluster, Database here, Map<String, Database> clusters, TenantRouting routing,
                         ClusterIdentities identities, Function<Database, PostgresReplay> replayOn, int rowsPerRun) {
        this.rowsPerRun = rowsPerRun;
        this.cluster = cluster;
        this.here = here;
        this.clusters = Map.copyOf(clusters);
        this.clustersView = new EarlierForwards.Clusters() {
            @Override
            public Set<String> names() {
                return MovedEventsForwarder.this.clusters.keySet();
            }

            @Override
            public Database open(String name) {
                return MovedEventsForwarder.this.clusters.get(name);
            }
        };
        this.routing = routing;
        this.identities = identities;
        this.forwarding = new MovedBadEvents(here, replayOn, line -> { });
        this.movedBack = new MovedBackEvents(cluster, here, this.clusters, replayOn);
    }

    /** Events this edge forwarded from this cluster and wrote in their tenant's cluster itself (this one, moved back). */
    public long forwarded() {
        return forwarded.get();
    }

    /** One pass over the rows waiting here. Never throws: it runs on a schedule, which a throw would end. */
    @Override
    public void run() {
        try {
            Map<String, List<UUID>> tenantsByTarget = new TreeMap<>();
            Map<UUID, String> marks;
            List<UUID> waitingTenants;
            try (Connection c = here.dataSource().getConnection()) {
                identities.learn(cluster, c);
                marks = MovedTenants.movedTo(c);
                waitingTenants = MovedBackEvents.tenantsWaiting(c);
            }
            // Only the tenants with rows waiting that this edge routes where their marks end: the rows of others
            // (moved back, or on again since this edge's table) never fill a run's share. The end, not this
            // cluster's own mark: a tenant moved on again is marked only in the cluster it left last.
            MarkChain chain = new MarkChain(cluster, marks, clusters);
            Map<UUID, List<String>> passedBy = new HashMap<>();
            SQLException unreachable = null;
            for (UUID tenant : waitingTenants) {
                String routed = routing.clusterOf(tenant);
                if (routed.equals(cluster) || !marks.containsKey(tenant)) {
                    continue;
                }
                try {
                    Optional<List<String>> path = chain.path(tenant);
                    if (path.isPresent() && path.get().get(path.get().size() - 1).equals(routed)) {
                        tenantsByTarget.computeIfAbsent(routed, k -> new ArrayList<>()).add(tenant);
                        passedBy.put(tenant, path.get().subList(0, path.get().size() - 1));
                    }
                } catch (SQLException down) { // a cluster on the way: this tenant's rows wait
                    unreachable = down;
                }
            }
            // And of those, only the ones whose cluster can take them now, asked of the database: rows that must
            // wait (a cluster down, or whose database another name reaches) never fill the share of the others.
            List<UUID> forwardable = new ArrayList<>();
            for (Map.Entry<String, List<UUID>> to : tenantsByTarget.entrySet()) {
                try {
                    if (ownDatabase(to.getKey())) {
                        forwardable.addAll(to.getValue());
                    }
                } catch (SQLException down) {
                    unreachable = down;
                }
            }
            List<BadEvents.Row> waiting = List.of();
            if (!forwardable.isEmpty()) {
                try (Connection c = here.dataSource().getConnection()) {
                    waiting = BadEvents.untried(c, PostgresSink.NAME, MovedTenants.CODE, forwardable, rowsPerRun);
                }
            }
            for (Map.Entry<String, List<BadEvents.Row>> to : MovedBadEvents.elsewhere(routing, cluster, waiting).entrySet()) {
                List<ReplayOutcome> outcomes = new ArrayList<>();
                int written;
                try {
                    List<SQLException> down = new ArrayList<>();
                    List<BadEvents.Row> unwritten = EarlierForwards.unwritten(here, cluster, to.getKey(), to.getValue(), passedBy,
                            clustersView, (tenant, why) -> down.add(why));
                    if (!down.isEmpty()) { // those tenants' rows wait
                        unreachable = down.get(0);
                    }
                    written = forwarding.forward(to.getKey(), clusters.get(to.getKey()), unwritten, outcomes);
                } catch (SQLException down) { // that cluster's rows (or one that may hold a written copy) wait; the others go on
                    unreachable = down;
                    continue;
                }
                forwarded.addAndGet(written);
                long refused = outcomes.stream().filter(o -> !o.replayed() && !o.retryable()).count();
                if (written > 0 || refused > 0) {
                    log.info("cluster {}: {} event(s) of tenants moved to cluster {} forwarded and written there{}", cluster, written,
                            to.getKey(), refused > 0 ? "; " + refused + " refused there, left for trackedge bad-events replay --cluster "
                                    + cluster + " (bad-events list says why)" : "");
                }
            }
            try {
                int back = movedBack.replay(routing, marks.keySet(), waitingTenants, rowsPerRun);
                forwarded.addAndGet(back);
                if (back > 0) {
                    log.info("cluster {}: {} event(s) set aside here of tenants moved back into it written here", cluster, back);
                }
            } catch (SQLException down) { // this cluster's, or one that may hold a written copy: they wait
                unreachable = down;
            }
            if (unreachable != null) {
                throw unreachable;
            }
            recovered();
        } catch (SQLException | RuntimeException e) {
            // Not migrated yet by the sink's first connect (not worth a warning), or a cluster down: the
            // rows wait here, listed, and the next minute tries again.
            if (e instanceof SQLException q && SqlStates.UNDEFINED_TABLE.equals(q.getSQLState())) {
                return;
            }
            if (!failing) {
                log.warn("cluster {}: cannot forward the events of tenants moved out of it ({}); trying again each minute",
                        cluster, e.getMessage());
                failing = true;
            }
        }
    }

    /** Whether {@code target}'s database, read now, is no other of the edge's names' it knows of (this one's above all). */
    private boolean ownDatabase(String target) throws SQLException {
        try (Connection t = clusters.get(target).dataSource().getConnection()) {
            identities.learn(target, t);
        }
        Optional<String> other = identities.sharing(target);
        if (other.isPresent() && sharedSaid.add(target)) {
            log.warn("cluster {}: cluster {} reaches the database cluster {} does, so the events of tenants moved to it are not"
                    + " forwarded: give each cluster a database of its own", cluster, target, other.get());
        }
        return other.isEmpty();
    }

    private void recovered() {
        if (failing) {
            log.info("cluster {}: forwarding the events of tenants moved out of it again", cluster);
            failing = false;
        }
    }

}
