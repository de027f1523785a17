package io.trackedge.sink.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;

/**
 * This edge node's number in one database's {@code edge_nodes} dictionary, which is what
 * {@code email_events.edge_no} holds (4 bytes a row instead of the node's 16-byte uuid). Registered
 * on first use in a transaction of its own, so that a batch that rolls back cannot take the number's
 * row with it while this remembers the number; a number, once given, never changes. Thread-safe:
 * the commit pipeline's writers share one.
 */
final class EdgeNumber {

    private final UUID edgeNode;
    private volatile int number = -1;

    EdgeNumber(UUID edgeNode) {
        this.edgeNode = edgeNode;
    }

    UUID edgeNode() {
        return edgeNode;
    }

    /** The number, registering the node first if the database has none for it; {@code c} must be outside a transaction. */
    int resolve(Connection c) throws SQLException {
        int n = number;
        if (n >= 0) {
            return n;
        }
        synchronized (this) {
            if (number < 0) {
                number = register(c);
            }
            return number;
        }
    }

    private int register(Connection c) throws SQLException {
        c.setAutoCommit(true);
        Integer found = find(c);
        if (found != null) {
            return found;
        }
        // Looked up first so that a restart does not use up an identity value on the conflict; two
        // edges with the same node id racing here both end with the one row.
        try (PreparedStatement s = c.prepareStatement("INSERT INTO edge_nodes (edge_node) VALUES (?) ON CONFLICT (edge_node) DO NOTHING")) {
            s.setObject(1, edgeNode);
            s.executeUpdate();
        }
        found = find(c);
        if (found == null) {
            throw new SQLException("edge node " + edgeNode + " is not in edge_nodes after inserting it");
        }
        return found;
    }

    private Integer find(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT edge_no FROM edge_nodes WHERE edge_node = ?")) {
            s.setObject(1, edgeNode);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? r.getInt(1) : null;
            }
        }
    }
}
