package io.trackedge.clusters;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A raw event row names the edge that took it by a number each cluster gives the edge node itself
 * ({@code edge_nodes}, V18), so a moved row's number is translated: the source's number to the
 * node's id, and the id to the destination's number (made there if that node never wrote to it).
 * The translation is a temporary table in the destination's transaction, {@link #MAP}.
 */
final class EdgeNumbers {

    static final String MAP = "tenant_move_edges";

    private EdgeNumbers() {
    }

    /** Fills {@link #MAP} (from_no, to_no) for the edges whose numbers {@code tenant}'s rows in the source carry. */
    static void translate(Connection source, Connection destination, UUID tenant) throws SQLException {
        Map<Integer, UUID> nodes = new LinkedHashMap<>();
        try (PreparedStatement s = source.prepareStatement("SELECT edge_no, edge_node FROM edge_nodes WHERE edge_no IN "
                + "(SELECT DISTINCT edge_no FROM email_event_rows WHERE tenant_id = ?) ORDER BY edge_no")) {
            s.setObject(1, tenant);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    nodes.put(r.getInt(1), r.getObject(2, UUID.class));
                }
            }
        }
        try (Statement s = destination.createStatement()) {
            s.execute("CREATE TEMP TABLE " + MAP + " (from_no integer PRIMARY KEY, to_no integer NOT NULL) ON COMMIT DROP");
        }
        try (PreparedStatement make = destination.prepareStatement("INSERT INTO edge_nodes (edge_node) VALUES (?) ON CONFLICT (edge_node) DO NOTHING");
             PreparedStatement find = destination.prepareStatement("SELECT edge_no FROM edge_nodes WHERE edge_node = ?");
             PreparedStatement map = destination.prepareStatement("INSERT INTO " + MAP + " VALUES (?, ?)")) {
            for (Map.Entry<Integer, UUID> n : nodes.entrySet()) {
                make.setObject(1, n.getValue());
                make.executeUpdate();
                find.setObject(1, n.getValue());
                try (ResultSet r = find.executeQuery()) {
                    r.next();
                    map.setInt(1, n.getKey());
                    map.setInt(2, r.getInt(1));
                }
                map.executeUpdate();
            }
        }
    }
}
