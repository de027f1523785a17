package io.trackedge.sink.bad;

import io.trackedge.db.Transaction;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.RecordCodec;
import io.trackedge.privacy.ErasedRecipients;
import io.trackedge.privacy.PrivacyPolicy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * Hands a set-aside event from one cluster's {@code bad_events} to another's: the event of a tenant
 * that lives in the other cluster now (moved there after an edge routed the event here), to be
 * replayed there. In three steps, each committed on its own: {@link #copy} into the other cluster
 * (keyed as the sink keys its own rows, by sink, edge node and journal position, so a second copy
 * finds the first), the copy's replay there (which marks it replayed in the transaction that writes
 * it), and then {@link #forwarded} here, once that replay is known to have happened. A run stopped
 * anywhere is finished by the next, which copies nothing twice and finds the copy replayed.
 */
public final class BadEventForwarding {

    private BadEventForwarding() {
    }

    /**
     * Copies {@code row} into {@code to}'s {@code bad_events}, unless it is there already, or its recipient was
     * erased in {@code to} (since its event was taken in, or within the hold): an erasure there, made after this
     * row was read here, found no copy to delete. The erasures are read under the audit's lock in the copy's
     * transaction ({@link ErasedRecipients}), so one under way is waited for, and one to come deletes the copy.
     *
     * @param to a connection in auto-commit, left so
     * @param privacy the rules the sinks keep events by: their erasure hold
     * @return the copy's id in {@code to}; empty when the recipient was erased there, and nothing was copied
     * @throws IllegalStateException when {@code to} holds another event under the row's key (a journal
     *     started again under the same edge node id): nothing is copied
     */
    public static OptionalLong copy(Connection to, BadEvents.Row row, PrivacyPolicy privacy) throws SQLException {
        EventRecord e = decoded(row);
        return Transaction.run(to, t -> {
            if (e != null && ErasedRecipients.read(t, privacy, List.of(e)).covers(e)) {
                return OptionalLong.empty();
            }
            return OptionalLong.of(insert(t, row));
        });
    }

    /** The row's event; null when its record does not decode, and then it names no one this release can read. */
    private static EventRecord decoded(BadEvents.Row row) {
        try {
            return RecordCodec.decode(row.record(), 0, row.record().length);
        } catch (RuntimeException undecodable) {
            return null;
        }
    }

    private static long insert(Connection to, BadEvents.Row row) throws SQLException {
        try (PreparedStatement s = to.prepareStatement("INSERT INTO bad_events (sink, edge_node, journal_position, event_id, "
                + "tenant_id, event_type, record, error, error_code, attempts, set_aside_at, recipient_hash, redacted) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
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
            s.setBytes(12, row.recipientHash()); // what an erasure there finds it by
            s.setObject(13, row.redacted() ? Boolean.TRUE : null, java.sql.Types.BOOLEAN); // its replay there marks its row
            s.executeUpdate();
        }
        try (PreparedStatement s = to.prepareStatement("SELECT bad_event_id, event_id, record FROM bad_events "
                + "WHERE sink = ? AND edge_node = ? AND journal_position = ?")) {
            s.setString(1, row.sink());
            s.setObject(2, row.edgeNode());
            s.setLong(3, row.journalPosition());
            try (ResultSet r = s.executeQuery()) {
                r.next();
                if (!Objects.equals(r.getObject(2, java.util.UUID.class), row.eventId())
                        || !java.util.Arrays.equals(r.getBytes(3), row.record())) {
                    throw new IllegalStateException("not forwarded: bad event " + r.getLong(1) + " there holds another event ("
                            + r.getObject(2) + ") under the same edge node and journal position");
                }
                return r.getLong(1);
            }
        }
    }

    /** Marks {@code row} replayed here, once its copy {@code copyId} in cluster {@code toName} was replayed there. */
    public static void forwarded(Connection from, BadEvents.Row row, String toName, long copyId) throws SQLException {
        try (PreparedStatement s = from.prepareStatement("UPDATE bad_events SET replayed_at = now(), attempts = attempts + 1, "
                + "last_replay_error = ? WHERE bad_event_id = ? AND replayed_at IS NULL")) {
            s.setString(1, "forwarded to cluster " + toName + " as bad event " + copyId + " and replayed there");
            s.setLong(2, row.id());
            s.executeUpdate();
        }
    }
}
