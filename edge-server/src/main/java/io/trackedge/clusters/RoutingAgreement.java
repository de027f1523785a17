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
 *
 * <p>An edge on one database ({@link #oneDatabase}) says so in it too, with no clusters: it writes every
 * tenant there, those the other edges route to other clusters too (a cluster's address given as
 * {@code edge.database.url}), so edges with clusters seen there differ from it and it from them. Edges
 * on one database agree with each other, so a deployment without clusters has nothing to report.
 */
public final class RoutingAgreement implements Runnable {

    /** Edges not seen for longer are stopped or gone: their table no longer routes anything. */
    public static final Duration RECENT = Duration.ofMinutes(15);

    /**
     * {@code edge_routing.digest} of an edge on one database, whose {@code clusters} is empty: no
     * table's digest (16 hex digits), so that edges of any version with clusters count it as differing.
     */
    public static final String ONE_DATABASE = "one database";

    /** {@link EdgeRoute#differenceFrom} of an edge on one database compared with an edge's or a configuration's table. */
    public static final String WRITES_EVERY_TENANT = "writes every tenant to this one database";

    private static final String ONE_DATABASE_TABLE = "one database, no clusters";

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

        /** Whether this edge is on one database ({@code edge.database.url}): it writes every tenant where this row is. */
        public boolean oneDatabase() {
            return clusters.isEmpty();
        }

        /**
         * The table, as an operator compares two: {@code clusters a,b; 2 pins; table 8a20791a8ddcdc08}, or
         * {@code one database, no clusters}.
         */
        public String table() {
            return oneDatabase() ? ONE_DATABASE_TABLE : describe(clusters, pins, digest);
        }

        /**
         * How this edge routes otherwise than by the table {@code digest} with the cluster names
         * reaching the databases {@code ids}: {@code another table}, {@link #WRITES_EVERY_TENANT} for an
         * edge on one database compared with a table, or a name both know that reaches another database
         * ({@link ClusterIdentities#conflict}); empty when alike.
         */
        public Optional<String> differenceFrom(String digest, Map<String, UUID> ids) {
            if (this.digest.equals(digest)) {
                return ClusterIdentities.conflict(clusterIds, ids);
            }
            return Optional.of(oneDatabase() ? WRITES_EVERY_TENANT : "another table");
        }
    }

    private final String cluster;
    private final String where;
    private final Database db;
    private final UUID node;
    private final String host;
    private final TenantRouting routing;
    private final ClusterIdentities identities;
    private final String digest;
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
        this(cluster, "cluster " + cluster, db, node, host, routing, identities, clock);
    }

    /**
     * An edge on the one database {@code db} ({@code edge.database.url}, or its local one): it says so
     * there, and counts the edges with clusters seen there. A database it cannot read is the sink's to
     * report: this check does not warn of it.
     */
    public static RoutingAgreement oneDatabase(Database db, UUID node, String host, Supplier<Instant> clock) {
        return new RoutingAgreement(null, "the database", db, node, host, null, null, clock);
    }

    private RoutingAgreement(String cluster, String where, Database db, UUID node, String host, TenantRouting routing,
                             ClusterIdentities identities, Supplier<Instant> clock) {
        this.cluster = cluster;
        this.where = where;
        this.db = db;
        this.node = node;
        this.host = host;
        this.routing = routing;
        this.identities = identities;
        this.digest = routing == null ? ONE_DATABASE : routing.digest();
        this.clock = clock;
        this.startedAt = clock.get();
    }

    /**
     * Other edges seen in this cluster within {@link #RECENT} at the last check whose table differs from
     * this edge's, or that reach another database by a cluster name than this edge does; on one
     * database, the edges with clusters seen there.
     */
    public int differing() {
        return differing;
    }

    /** Says again which table this edge routes by, and counts the edges that differ. Never throws: it runs on a schedule. */
    @Override
    public void run() {
        try (Connection c = db.dataSource().getConnection()) {
            Instant now = clock.get();
            if (identities != null) {
                identities.learn(cluster, c);
            }
            Map<String, UUID> ids = identities == null ? Map.of() : identities.known();
            register(c, now, ids);
            List<String> others = new ArrayList<>();
            for (EdgeRoute r : read(c)) {
                Optional<String> difference = r.edge().equals(node) || !r.recent(now) ? Optional.empty()
                        : r.differenceFrom(digest, ids);
                difference.ifPresent(d -> others.add(r.edge() + " on " + r.host() + " (" + r.table() + "; " + d + ")"));
            }
            if (!others.isEmpty() && others.size() != differing) {
                log.warn("{}: {} other edge(s) seen in the last {} minutes route tenants otherwise than this edge ({}{}):"
                        + " {}; their events of some tenants go where the others do not read. Give every edge the same"
                        + " edge.database.clusters and routing table, and restart it (trackedge clusters check)",
                        where, others.size(), RECENT.toMinutes(), routing == null ? ONE_DATABASE_TABLE + ", " + WRITES_EVERY_TENANT
                                : describe(routing), routing == null ? "" : "; " + ClusterIdentities.format(ids), others);
            } else if (others.isEmpty() && differing > 0) {
                log.info("{}: every edge seen in the last {} minutes routes by this edge's table", where, RECENT.toMinutes());
            }
            differing = others.size();
            if (failing) {
                log.info("{}: the routing check reaches the database again", where);
                failing = false;
            }
        } catch (SQLException | RuntimeException e) {
            // The cluster down, or not migrated yet by the sink's first connect (no edge_routing, which is
            // not worth a warning): the next minute tries again, and the count stays what it last was.
            if (e instanceof SQLException q && SqlStates.UNDEFINED_TABLE.equals(q.getSQLState())) {
                return;
            }
            if (!failing) {
                // On one database the sink says the database is down; this is only a consequence.
                if (routing == null) {
                    log.debug("{}: cannot compare the edges' routing tables ({}); trying again each minute", where, e.getMessage());
                } else {
                    log.warn("{}: cannot compare the edges' routing tables ({}); trying again each minute", where, e.getMessage());
                }
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
            s.setString(3, routing == null ? "" : String.join(",", routing.clusters()));
            s.setInt(4, routing == null ? 0 : routing.pinCount());
            s.setString(5, digest);
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
