package io.trackedge.sink.bad;

import io.trackedge.journal.EventRecord;
import io.trackedge.privacy.RecipientHash;
import io.trackedge.sink.BadRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The {@code bad_events} table: events a sink set aside because their data was refused, with the
 * raw journal record, so a person can list them and replay them once the cause is fixed. Every
 * method runs in the caller's connection and transaction.
 */
public final class BadEvents {

    /**
     * One row of {@code bad_events}.
     *
     * @param recipientHash the erasure audit's name of the event's recipient ({@link #recipientHash(EventRecord)})
     */
    public record Row(long id, String sink, UUID edgeNode, long journalPosition, UUID eventId, UUID tenantId,
                      String eventType, byte[] record, String error, String errorCode, int attempts,
                      Instant setAsideAt, Instant replayedAt, String lastReplayError, byte[] recipientHash,
                      boolean redacted) {
    }

    /** The {@code recipient_hash} of an event that names no recipient. */
    private static final byte[] NO_RECIPIENT = new byte[0];

    private BadEvents() {
    }

    /**
     * Records {@code bad} for {@code sink}; a second insert of the same journal position is ignored. Checks
     * nothing: from outside this package rows go in through {@link KeptBadEvents}, which leaves erased
     * recipients' events out under the erasure audit's lock.
     */
    static void insert(Connection c, String sink, UUID edgeNode, BadRecord bad) throws SQLException {
        EventRecord e = bad.event();
        try (PreparedStatement s = c.prepareStatement(
                "INSERT INTO bad_events (sink, edge_node, journal_position, event_id, tenant_id, event_type, record, error, error_code, "
                        + "recipient_hash, redacted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sink, edge_node, journal_position) DO NOTHING")) {
            s.setString(1, sink);
            s.setObject(2, edgeNode);
            s.setLong(3, bad.position());
            s.setObject(4, e == null ? null : e.id());
            s.setObject(5, e == null ? null : e.fields().tenant());
            s.setString(6, e == null ? null : e.type().wireName());
            s.setBytes(7, bad.record());
            // The error text may quote the refused value itself; it must fit in a text column.
            s.setString(8, printable(bad.error()));
            s.setString(9, bad.code());
            s.setBytes(10, recipientHash(e));
            s.setObject(11, bad.cut() ? Boolean.TRUE : null, java.sql.Types.BOOLEAN); // as email_event_rows.redacted (sql/V40)
            s.executeUpdate();
        }
    }

    /**
     * What {@code bad_events.recipient_hash} holds for {@code e} (sql/V41): its recipient as the erasure audit
     * names one ({@link RecipientHash}), so that an erasure finds the row without decoding records; empty for an
     * event that names no recipient (a warm-up event); null when the record did not decode.
     */
    public static byte[] recipientHash(EventRecord e) {
        if (e == null) {
            return null;
        }
        return e.type().isWarmup() ? NO_RECIPIENT : RecipientHash.of(e.fields().tenant(), e.fields().email());
    }

    /**
     * Lists set-aside events, oldest first.
     *
     * @param sink only this sink's, or all when null
     * @param includeReplayed also those replayed already
     */
    public static List<Row> list(Connection c, String sink, boolean includeReplayed, int limit) throws SQLException {
        return list(c, sink, includeReplayed, 0, limit);
    }

    /**
     * As {@link #list(Connection, String, boolean, int)}, those whose id is above {@code afterId} only: a
     * caller pages through the table with the last id of each page, one page of records in memory at a time.
     */
    public static List<Row> list(Connection c, String sink, boolean includeReplayed, long afterId, int limit) throws SQLException {
        StringBuilder q = new StringBuilder(SELECT + " WHERE bad_event_id > ?");
        if (sink != null) {
            q.append(" AND sink = ?");
        }
        if (!includeReplayed) {
            q.append(" AND replayed_at IS NULL");
        }
        q.append(" ORDER BY bad_event_id LIMIT ?");
        try (PreparedStatement s = c.prepareStatement(q.toString())) {
            int i = 1;
            s.setLong(i++, afterId);
            if (sink != null) {
                s.setString(i++, sink);
            }
            s.setInt(i, limit);
            return rows(s);
        }
    }

    /**
     * Which rows a replay takes: those not replayed yet, of one sink or of every one ({@code sink} null),
     * and either the ones named ({@code ids}, whatever they were set aside for) or, when {@code ids} is
     * null, all but those set aside with {@code exceptCode} (none left out when it is null).
     */
    public record Waiting(String sink, List<Long> ids, String exceptCode) {
    }

    /**
     * A page of the rows {@code w} selects, by id, above {@code afterId} and up to {@code throughId}. The
     * filters are the query's, not the caller's: a replay holds one page of records at a time, however
     * many rows the table holds that it does not take (a sink days behind retention sets aside millions).
     */
    public static List<Row> waiting(Connection c, Waiting w, long afterId, long throughId, int limit) throws SQLException {
        StringBuilder q = new StringBuilder(SELECT + " WHERE bad_event_id > ? AND bad_event_id <= ? AND replayed_at IS NULL");
        if (w.sink() != null) {
            q.append(" AND sink = ?");
        }
        if (w.ids() != null) {
            q.append(" AND bad_event_id = ANY (?)");
        } else if (w.exceptCode() != null) {
            q.append(" AND error_code IS DISTINCT FROM ?");
        }
        q.append(" ORDER BY bad_event_id LIMIT ?");
        try (PreparedStatement s = c.prepareStatement(q.toString())) {
            int i = 1;
            s.setLong(i++, afterId);
            s.setLong(i++, throughId);
            if (w.sink() != null) {
                s.setString(i++, w.sink());
            }
            if (w.ids() != null) {
                s.setArray(i++, c.createArrayOf("bigint", w.ids().toArray()));
            } else if (w.exceptCode() != null) {
                s.setString(i++, w.exceptCode());
            }
            s.setInt(i, limit);
            return rows(s);
        }
    }

    /** How many rows not replayed yet, of {@code sink} (every sink's when null), were set aside with {@code code}. */
    public static long countWaiting(Connection c, String sink, String code) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT count(*) FROM bad_events WHERE replayed_at IS NULL AND error_code = ?"
                + (sink == null ? "" : " AND sink = ?"))) {
            s.setString(1, code);
            if (sink != null) {
                s.setString(2, sink);
            }
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }
    }

    /**
     * The highest id given so far, 0 when none: where a replay run stops, so that one started while the
     * sinks go on setting events aside ends, leaving those to the next.
     */
    public static long lastId(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT coalesce(max(bad_event_id), 0) FROM bad_events");
             ResultSet r = s.executeQuery()) {
            r.next();
            return r.getLong(1);
        }
    }

    /**
     * Rows of {@code tenants} that {@code sink} set aside with {@code errorCode} and that no replay has
     * tried yet (none replayed them, none failed), oldest first: what an automatic replay may take,
     * leaving the ones refused once to an operator.
     */
    public static List<Row> untried(Connection c, String sink, String errorCode, java.util.Collection<UUID> tenants, int limit)
            throws SQLException {
        try (PreparedStatement s = c.prepareStatement(SELECT + " WHERE sink = ? AND error_code = ? AND tenant_id = ANY (?)"
                + " AND replayed_at IS NULL AND last_replay_error IS NULL ORDER BY bad_event_id LIMIT ?")) {
            s.setString(1, sink);
            s.setString(2, errorCode);
            s.setArray(3, c.createArrayOf("uuid", tenants.toArray()));
            s.setInt(4, limit);
            return rows(s);
        }
    }

    /** The rows with these ids, replayed or not, by id. */
    public static List<Row> byIds(Connection c, List<Long> ids) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(SELECT + " WHERE bad_event_id = ANY(?) ORDER BY bad_event_id")) {
            s.setArray(1, c.createArrayOf("bigint", ids.toArray()));
            return rows(s);
        }
    }

    private static final String SELECT = "SELECT bad_event_id, sink, edge_node, journal_position, event_id, tenant_id, event_type, "
            + "record, error, error_code, attempts, set_aside_at, replayed_at, last_replay_error, recipient_hash, redacted FROM bad_events";

    private static List<Row> rows(PreparedStatement s) throws SQLException {
        List<Row> out = new ArrayList<>();
        try (ResultSet r = s.executeQuery()) {
            while (r.next()) {
                out.add(new Row(r.getLong(1), r.getString(2), r.getObject(3, UUID.class), r.getLong(4),
                        r.getObject(5, UUID.class), r.getObject(6, UUID.class), r.getString(7), r.getBytes(8),
                        r.getString(9), r.getString(10), r.getInt(11), instant(r.getTimestamp(12)),
                        instant(r.getTimestamp(13)), r.getString(14), r.getBytes(15), r.getBoolean(16)));
            }
        }
        return out;
    }

    /**
     * Locks a row not yet replayed until the caller's transaction ends: an erasure that deletes it
     * waits meanwhile. False when it is gone (erased) or replayed.
     */
    public static boolean lockUnreplayed(Connection c, long id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT 1 FROM bad_events WHERE bad_event_id = ? AND replayed_at IS NULL FOR UPDATE")) {
            s.setLong(1, id);
            try (ResultSet r = s.executeQuery()) {
                return r.next();
            }
        }
    }

    /**
     * Marks a row replayed, in the transaction that wrote its event again.
     *
     * @return false when it was replayed already (the caller rolls back: nothing is written twice)
     */
    public static boolean markReplayed(Connection c, long id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "UPDATE bad_events SET replayed_at = now(), attempts = attempts + 1, last_replay_error = NULL "
                        + "WHERE bad_event_id = ? AND replayed_at IS NULL")) {
            s.setLong(1, id);
            return s.executeUpdate() == 1;
        }
    }

    /** Notes a replay that failed again; the row stays listed. */
    public static void replayFailed(Connection c, long id, String error) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "UPDATE bad_events SET attempts = attempts + 1, last_replay_error = ? WHERE bad_event_id = ?")) {
            s.setString(1, printable(error));
            s.setLong(2, id);
            s.executeUpdate();
        }
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    /** Text PostgreSQL can store: U+0000 becomes U+FFFD. */
    static String printable(String s) {
        return s == null ? null : s.replace('\0', '\uFFFD');
    }
}
