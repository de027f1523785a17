package io.trackedge.clusters;

import io.trackedge.db.Database;
import io.trackedge.sink.postgres.MovedTenants;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Where a tenant marked moved out of one cluster lives now, as the clusters' marks ({@link MovedTenants})
 * say: a move marks only the cluster it left, so a tenant moved on again (a to b, then b to c) has a
 * mark in a that names b, and b's own mark names c. The chain ends at the first cluster that holds no
 * mark of the tenant. For one run of {@link MovedEventsForwarder}: each cluster's marks are read once, at
 * their first need, and not again.
 */
final class MarkChain {

    private final String start;
    private final Map<String, Database> clusters;
    private final Map<String, Map<UUID, String>> read = new HashMap<>();
    /** Clusters that could not be read this run: asked once, not once per tenant (each ask may wait out a connect timeout). */
    private final Map<String, SQLException> unread = new HashMap<>();

    /**
     * @param start the cluster whose marks are {@code marks}
     * @param clusters every cluster's database, by name
     */
    MarkChain(String start, Map<UUID, String> marks, Map<String, Database> clusters) {
        this.start = start;
        this.clusters = clusters;
        read.put(start, marks);
    }

    /**
     * The clusters the marks of {@code tenant}, followed from the start, lead through, the last being the one
     * they end at; empty when the start holds no mark of it, when one names a cluster this edge does not have,
     * or when they come round to a cluster seen already (moves never leave them so, but a move back between
     * two reads of this run can): each cluster is visited once, so the chain is never longer than the clusters
     * are many.
     *
     * @throws SQLException when a cluster on the way cannot be read: the tenant's rows wait for the next run
     */
    Optional<List<String>> path(UUID tenant) throws SQLException {
        List<String> path = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        String at = start;
        while (true) {
            String next = marksOf(at).get(tenant);
            if (next == null) {
                return path.isEmpty() ? Optional.empty() : Optional.of(path);
            }
            if (!seen.add(at) || !clusters.containsKey(next) || next.equals(start)) {
                return Optional.empty();
            }
            path.add(next);
            at = next;
        }
    }

    private Map<UUID, String> marksOf(String cluster) throws SQLException {
        Map<UUID, String> marks = read.get(cluster);
        if (marks == null) {
            SQLException failed = unread.get(cluster);
            if (failed != null) {
                throw failed;
            }
            try (Connection c = clusters.get(cluster).dataSource().getConnection()) {
                marks = MovedTenants.movedTo(c);
            } catch (SQLException e) {
                unread.put(cluster, e);
                throw e;
            }
            read.put(cluster, marks);
        }
        return marks;
    }
}
