package io.trackedge.clusters;

import io.trackedge.db.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The clusters a tenant left since a time, read back from where it lives through each move's record
 * ({@code tenant_moves}, kept by the cluster a move went to): the clusters an earlier forward of its
 * set-aside rows may have written them in, and whose moves then took those events on. A move into a
 * cluster lifts that cluster's mark, so the marks ({@link MarkChain}) alone can lose such a cluster.
 */
final class MoveHistory {

    private MoveHistory() {
    }

    /**
     * The clusters of {@code clusters} that {@code tenant} moved out of, into {@code cluster} or into one of
     * those, at or after {@code since}; each cluster read once.
     *
     * @throws SQLException when a cluster on the way back cannot be read: the caller's rows wait
     */
    static Set<String> leftSince(String cluster, UUID tenant, Instant since, EarlierForwards.Clusters clusters) throws SQLException {
        Set<String> out = new TreeSet<>();
        Set<String> read = new HashSet<>();
        Deque<String> toRead = new ArrayDeque<>();
        toRead.push(cluster);
        while (!toRead.isEmpty()) {
            String at = toRead.pop();
            if (!clusters.names().contains(at) || !read.add(at)) {
                continue;
            }
            for (String from : movedInFrom(clusters.open(at), tenant, since)) {
                if (clusters.names().contains(from) && out.add(from)) {
                    toRead.push(from);
                }
            }
        }
        out.remove(cluster);
        return out;
    }

    private static Set<String> movedInFrom(Database db, UUID tenant, Instant since) throws SQLException {
        Set<String> from = new TreeSet<>();
        try (Connection c = db.dataSource().getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT DISTINCT from_cluster FROM tenant_moves WHERE tenant_id = ? AND started_at >= ?")) {
            s.setObject(1, tenant);
            s.setTimestamp(2, Timestamp.from(since));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    from.add(r.getString(1));
                }
            }
        }
        return from;
    }
}
