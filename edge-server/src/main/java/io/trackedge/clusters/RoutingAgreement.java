package io.trackedge.clusters;

import io.trackedge.db.Database;
import io.trackedge.db.SqlStates;
import io.trackedge.db.TenantRouting;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the edges writing to one cluster route tenants by the same table. An edge on another table
 * (not restarted after a change of the routing table, or given another file) writes some tenants'
 * events to a cluster where the other edges' reads and jobs do not look for them. Each edge says in
 * each cluster which table it routes by ({@code edge_routing}, V38: its clusters, its pin count and
 * {@link TenantRouting#digest}; V39: the databases its cluster names reach, {@link ClusterIdentities});
 * {@link #run}, once a minute on the cluster's housekeeping thread, says it again and counts the other
 * edges seen there within {@link #RECENT} whose table differs, or whose name for a cluster reaches
 * another database ({@link #differing}). A cluster that cannot be reached keeps the last count; the edge goes on.
 */
public final class RoutingAgreement implements Runnable {

    /** Edges not seen for longer are stopped or gone: their table no longer routes anything. */
    public static final Duration RECENT = Duration.ofMinutes(15);

    private static final Logger log = LoggerFactory.getLogger(RoutingAgreement.class);

    /**
     * One edge's row: the table it routes by, the databases its cluster names reach (those it has read
     * the {@code cluster_identity} of), since when, and when it last said so.
     */
    public record EdgeRoute(UUID edge, String host, String clusters, int pins, String digest, Map<String, UUID> clusterIds,
                            Instant startedAt, Instant seenAt) {

        public EdgeRoute {
            clusterIds = Map.copyOf(clusterIds);
        }

        /** Seen within {@link #RECENT} of {@code now}. */
        public boolean recent(Instant now) {
            return !seenAt.isBefore(now.minus(RECENT));
        }

        /** The table, as an operator compares two: {@code clusters a,b; 2 pins; table 8a20791a8ddcdc08}. */
        public String table() {
            return describe(clusters, pins, digest);
        }

        /**
         * How this edge routes otherwise than by the table {@code digest} with the cluster names
         * reaching the databases {@code ids}: {@code another table}, or a name both know that reaches
         * another database ({@link ClusterIdentities#conflict}); empty when alike.
         */
        public Optional<String> differenceFrom(String digest, Map<String, UUID> ids) {
            return this.digest.equals(digest) ? ClusterIdentities.conflict(clusterIds, ids) : Optional.of("another table");
        }
    }

    private final String cluster;
    private final Database db;
    private final UUID node;
    private final String host;
    private final TenantRouting routing;
    private final ClusterIdentities identities;
    private final Instant startedAt;
    private final Supplier<Instant> clock;
    private volatile int differing;
    private boolean failing;

    /**
     * @param cluster the name of the cluster {@code db} is, for the log
     * @param routing the table this edge routes new events by
     * @param identities the databases this edge's cluster names reach, shared by its clusters: each run reads and adds this one's
     */
    public RoutingAgreement(String cluster, Database db, UUID node, String host, TenantRouting routing, ClusterIdentities identities,
                            Supplier<Instant> clock) {
        this.cluster = cluster;
        this.db = db;
        this.node = node;
        this.host = host;
        this.routing = routing;
        this.identities = identities;
        this.clock = clock;
        this.startedAt = clock.get();
    }

    /**
     * Other edges seen in this cluster within {@link #RECENT} at the last check whose table differs from
     * this edge's, or that reach another database by a cluster name than this edge does.
     */
    public int differing() {
        return differing;
    }

    /** Says again which table this edge routes by, and counts the edges that differ. Never throws: it runs on a schedule. */
    @Override
    public void run() {
        try (Connection c = db.dataSource().getConnection()) {
            Instant now = clock.get();
            identities.learn(cluster, c);
            Map<String, UUID> ids = identities.known();
            register(c, now, ids);
            List<String> others = new ArrayList<>();
            for (EdgeRoute r : read(c)) {
                Optional<String> difference = r.edge().equals(node) || !r.recent(now) ? Optional.empty()
                        : r.differenceFrom(routing.digest(), ids);
                difference.ifPresent(d -> others.add(r.edge() + " on " + r.host() + " (" + r.table() + "; " + d + ")"));
            }
            if (!others.isEmpty() && others.size() != differing) {
                log.warn("cluster {}: {} other edge(s) seen in the last {} minutes route tenants otherwise than this edge ({};"
                        + " {}): {}; their events of some tenants go where the others do not read. Give every edge the same"
                        + " edge.database.clusters and routing table, and restart it (trackedge clusters check)",
                        cluster, others.size(), RECENT.toMinutes(), describe(routing), ClusterIdentities.format(ids), others);
            } else if (others.isEmpty() && differing > 0) {
                log.info("cluster {}: every edge seen in the last {} minutes routes by this edge's table", cluster, RECENT.toMinutes());
            }
            differing = others.size();
            if (failing) {
                log.info("cluster {}: the routing check reaches the database again", cluster);
                failing = false;
            }
        } catch (SQLException | RuntimeException e) {
            // The cluster down, or not migrated yet by the sink's first connect (no edge_routing, which is
            // not worth a warning): the next minute tries again, and the count stays what it last was.
            if (e instanceof SQLException q && SqlStates.UNDEFINED_TABLE.equals(q.getSQLState())) {
                return;
            }
            if (!failing) {
                log.warn("cluster {}: cannot compare the edges' routing tables ({}); trying again each minute", cluster, e.getMessage());
                failing = true;
            }
        }
    }

    private void register(Connection c, Instant now, Map<String, UUID> ids) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO edge_routing (edge_node, host, clusters, pins, digest, cluster_ids, started_at, seen_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (edge_node) DO UPDATE SET host = excluded.host, clusters = excluded.clusters, pins = excluded.pins,
                    digest = excluded.digest, cluster_ids = excluded.cluster_ids, started_at = excluded.started_at,
                    seen_at = excluded.seen_at""")) {
            s.setObject(1, node);
            s.setString(2, host);
            s.setString(3, String.join(",", routing.clusters()));
            s.setInt(4, routing.pinCount());
            s.setString(5, routing.digest());
            s.setString(6, ClusterIdentities.format(ids));
            s.setTimestamp(7, Timestamp.from(startedAt));
            s.setTimestamp(8, Timestamp.from(now));
            s.executeUpdate();
        }
    }

    /** Every edge's row in the cluster {@code c} is connected to, the most recently seen first. */
    public static List<EdgeRoute> read(Connection c) throws SQLException {
        List<EdgeRoute> out = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT edge_node, host, clusters, pins, digest, cluster_ids, started_at,"
                + " seen_at FROM edge_routing ORDER BY seen_at DESC, edge_node");
             ResultSet r = s.executeQuery()) {
            while (r.next()) {
                out.add(new EdgeRoute(r.getObject(1, UUID.class), r.getString(2), r.getString(3), r.getInt(4), r.getString(5),
                        ClusterIdentities.parse(r.getString(6)), r.getTimestamp(7).toInstant(), r.getTimestamp(8).toInstant()));
            }
        }
        return out;
    }

    /** {@code routing} as {@link EdgeRoute#table} writes an edge's. */
    public static String describe(TenantRouting routing) {
        return describe(String.join(",", routing.clusters()), routing.pinCount(), routing.digest());
    }

    private static String describe(String clusters, int pins, String digest) {
        return "clusters " + clusters + "; " + pins + (pins == 1 ? " pin" : " pins") + "; table " + digest;
    }
}
