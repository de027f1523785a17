package io.trackedge.clusters;

import io.trackedge.db.Database;
import io.trackedge.sink.bad.BadEventForwarding;
import io.trackedge.sink.bad.BadEvents;
import io.trackedge.sink.postgres.PostgresSink;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Settles the set-aside rows of one cluster whose event a forward already wrote in another: the forward
 * copied the row there and replayed the copy, and stopped before marking the row here. A move of the
 * tenant since then carried that event on with the tenant's rows, but not the copy (a set-aside row of a
 * moved tenant stays where it was set aside), so the cluster the tenant lives in now holds the event and no
 * copy that a new forward or a replay here would find: written again, it would be counted twice. Each such
 * row is marked forwarded here instead, naming the copy.
 */
final class WrittenCopies {

    private WrittenCopies() {
    }

    /**
     * Marks in {@code here} the rows of {@code rows} whose replayed copy a cluster of {@code asked} holds, and
     * returns the others, in order. Every cluster is asked before any row is marked, so a failure marks nothing.
     *
     * @param asked the clusters that may hold such a copy, by name; not {@code here}
     * @throws SQLException when {@code here} or a cluster asked cannot be read: the rows wait for the next run
     */
    static List<BadEvents.Row> settle(Database here, Map<String, Database> asked, List<BadEvents.Row> rows) throws SQLException {
        List<BadEvents.Row> unwritten = new ArrayList<>(rows);
        Map<Long, Map.Entry<String, Long>> found = new HashMap<>(); // a row's id here: the cluster and its copy's id there
        for (Map.Entry<String, Database> other : asked.entrySet()) {
            if (unwritten.isEmpty()) {
                break;
            }
            Map<Long, Long> copies = in(other.getValue(), unwritten);
            copies.forEach((id, copy) -> found.put(id, Map.entry(other.getKey(), copy)));
            unwritten.removeIf(r -> copies.containsKey(r.id()));
        }
        if (!found.isEmpty()) {
            try (Connection c = here.dataSource().getConnection()) {
                for (BadEvents.Row r : rows) {
                    Map.Entry<String, Long> copy = found.get(r.id());
                    if (copy != null) {
                        BadEventForwarding.forwarded(c, r, copy.getKey(), copy.getValue());
                    }
                }
            }
        }
        return unwritten;
    }

    /**
     * Of {@code rows}, those whose copy (the same sink, edge and journal position, as a forward keys it,
     * and the same event) {@code there} holds replayed: the id here to the copy's id there.
     */
    private static Map<Long, Long> in(Database there, List<BadEvents.Row> rows) throws SQLException {
        Map<Long, Long> out = new HashMap<>();
        try (Connection c = there.dataSource().getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT k.id, b.bad_event_id FROM unnest(?::bigint[], ?::uuid[], ?::bigint[], ?::uuid[])"
                        + " AS k (id, edge_node, journal_position, event_id)"
                        + " JOIN bad_events b ON b.sink = ? AND b.edge_node = k.edge_node AND b.journal_position = k.journal_position"
                        + " WHERE b.replayed_at IS NOT NULL AND b.event_id IS NOT DISTINCT FROM k.event_id")) {
            s.setArray(1, c.createArrayOf("bigint", rows.stream().map(BadEvents.Row::id).toArray()));
            s.setArray(2, c.createArrayOf("uuid", rows.stream().map(BadEvents.Row::edgeNode).toArray()));
            s.setArray(3, c.createArrayOf("bigint", rows.stream().map(BadEvents.Row::journalPosition).toArray()));
            s.setArray(4, c.createArrayOf("uuid", rows.stream().map(BadEvents.Row::eventId).toArray()));
            s.setString(5, PostgresSink.NAME);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.put(r.getLong(1), r.getLong(2));
                }
            }
        }
        return out;
    }
}
