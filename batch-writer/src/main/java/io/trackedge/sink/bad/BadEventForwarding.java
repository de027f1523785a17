package io.trackedge.sink.bad;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;

/**
 * Hands a set-aside event from one cluster's {@code bad_events} to another's: the event of a tenant
 * that lives in the other cluster now (moved there after an edge routed the event here), to be
 * replayed there. Safe to repeat: the copy is keyed as the sink keys its own rows (sink, edge node,
 * journal position), so a second forward of the same row finds the first copy, and only the copy is
 * ever replayed. Each step commits on its own connection, in this order: the copy, then the row here
 * marked replayed. A run stopped between the two forwards again next time.
 */
public final class BadEventForwarding {

    private BadEventForwarding() {
    }

    /**
     * Copies {@code row} into {@code to}'s {@code bad_events} (unless there already), then marks it
     * replayed in {@code from}, noting where it went.
     *
     * @param toName the destination cluster's name, for the note
     * @return the copy's id in {@code to}
     */
    public static long forward(Connection from, Connection to, BadEvents.Row row, String toName) throws SQLException {
        long id = copy(to, row);
        try (PreparedStatement s = from.prepareStatement("UPDATE bad_events SET replayed_at = now(), last_replay_error = ? "
                + "WHERE bad_event_id = ? AND replayed_at IS NULL")) {
            s.setString(1, "forwarded to cluster " + toName + " as bad event " + id + ", replayed there");
            s.setLong(2, row.id());
            s.executeUpdate();
        }
        return id;
    }

    private static long copy(Connection to, BadEvents.Row row) throws SQLException {
        try (PreparedStatement s = to.prepareStatement("INSERT INTO bad_events (sink, edge_node, journal_position, event_id, "
                + "tenant_id, event_type, record, error, error_code, attempts, set_aside_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                + "ON CONFLICT (sink, edge_node, journal_position) DO NOTHING")) {
            s.setString(1, row.sink());
            s.setObject(2, row.edgeNode());
            s.setLong(3, row.journalPosition());
            s.setObject(4, row.eventId());
            s.setObject(5, row.tenantId());
            s.setString(6, row.eventType());
            s.setBytes(7, row.record());
            s.setString(8, row.error());
            s.setString(9, row.errorCode());
            s.setInt(10, row.attempts());
            s.setTimestamp(11, Timestamp.from(row.setAsideAt()));
            s.executeUpdate();
        }
        try (PreparedStatement s = to.prepareStatement(
                "SELECT bad_event_id FROM bad_events WHERE sink = ? AND edge_node = ? AND journal_position = ?")) {
            s.setString(1, row.sink());
            s.setObject(2, row.edgeNode());
            s.setLong(3, row.journalPosition());
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }
    }
}
