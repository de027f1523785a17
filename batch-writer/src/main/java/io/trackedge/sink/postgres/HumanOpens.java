package io.trackedge.sink.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Keeps {@code email_human_opens} equal to its definition for some emails after their events were
 * reclassified: the email's earliest open or click (by occurred_at, then event id) that is not
 * {@code is_machine}, or no row. Rows that no longer match are deleted and the right ones inserted, in
 * two statements (one statement cannot delete and insert the same key); each change is returned
 * so that the caller moves {@code daily_analytics.opens_unique_human}.
 */
public final class HumanOpens {

    static final String COLUMNS = "tenant_id, email_id, user_id, campaign_id, mailbox_id, lead_id, step_id, event_id, "
            + "event_type, opened_at";

    /** One row gone ({@code -1}) or added ({@code +1}), on its key and UTC day. */
    record Change(UUID tenant, UUID user, String campaign, String mailbox, LocalDate date, int delta) {
    }

    private HumanOpens() {
    }

    /** The advisory lock sinks' batches share and a change of rows here takes alone: "trkhuman" as a number. */
    static final long LOCK_KEY = 0x7472_6b68_756d_616eL;

    /**
     * Takes the lock the sinks' batches hold shared, exclusively, and moves the epoch they read: run
     * before deleting a row, so that a batch that remembered the row has committed and the next one
     * forgets it ({@link KnownHumanOpens}). Held to the end of the transaction; taking it again is free.
     */
    public static void lockForChange(Connection c) throws SQLException {
        // Two statements: the epoch moves only once the lock is held, whatever order one statement's calls ran in.
        try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
            s.setLong(1, LOCK_KEY);
            s.executeQuery().close();
        }
        try (Statement s = c.createStatement()) {
            s.executeQuery("SELECT nextval('human_opens_epoch')").close();
        }
    }

    /**
     * The epoch once every change that moved it so far has committed or rolled back: takes the lock
     * shared (waiting for any holder alone: a re-score, a correction, a move) and lets it go at once.
     * Everything read after this sees those changes; {@link #epoch} read later differs if another
     * change has begun since. The lock is the session's, released before returning.
     */
    public static long settledEpoch(Connection c) throws SQLException {
        // A session's lock outlives a failed transaction: inside one, a savepoint lets the unlock run
        // after a failure, so a pooled connection never keeps it (it would hold back every change).
        java.sql.Savepoint before = c.getAutoCommit() ? null : c.setSavepoint();
        try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_lock_shared(?)")) {
            s.setLong(1, LOCK_KEY);
            s.executeQuery().close();
        }
        long epoch;
        try {
            epoch = epoch(c);
        } catch (SQLException | RuntimeException failed) {
            try {
                if (before != null) {
                    c.rollback(before);
                }
                unlockShared(c);
            } catch (SQLException unlockFailed) {
                failed.addSuppressed(unlockFailed); // a broken session's locks go with it
            }
            throw failed;
        }
        unlockShared(c);
        if (before != null) {
            c.releaseSavepoint(before);
        }
        return epoch;
    }

    private static void unlockShared(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_unlock_shared(?)")) {
            s.setLong(1, LOCK_KEY);
            s.executeQuery().close();
        }
    }

    /** The epoch now, without the lock: moved by every change of reclassified rows, erasure and move since it was read. */
    public static long epoch(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM human_opens_epoch")) {
            r.next();
            return r.getLong(1);
        }
    }

    /**
     * A batch's side: takes the lock shared (exclusive when the batch will change rows itself, so it
     * never needs to upgrade), and returns the epoch. No holder of the lock alone (a move's delete, a
     * re-score, a correction) can move it until the batch commits; an erasure moves it without the
     * lock, behind {@code erasure_audit}'s, which keeps every batch out of its way. One statement: the
     * epoch's scalar subquery is an init plan, run when the projection first needs its value, after the
     * lock function to its left has returned.
     */
    static long lockForInsert(Connection c, boolean exclusive) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT " + (exclusive ? "pg_advisory_xact_lock" : "pg_advisory_xact_lock_shared")
                // a fresh sequence's last_value is already the first nextval's: is_called tells them apart
                + "(?), (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM human_opens_epoch)")) {
            s.setLong(1, LOCK_KEY);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(2);
            }
        }
    }

    /** {@code emails}: a table or subquery with columns tenant_id, email_id (distinct). */
    static List<Change> recompute(Connection c, String emails) throws SQLException {
        lockForChange(c);
        String want = "SELECT DISTINCT ON (e.tenant_id, e.email_id) e.tenant_id, e.email_id, e.user_id, e.campaign_id,"
                + " e.mailbox_id, e.lead_id, e.step_id, e.event_id, e.event_type, e.occurred_at"
                + " FROM email_events e JOIN " + emails + " r ON e.tenant_id = r.tenant_id AND e.email_id = r.email_id"
                + " WHERE e.event_type IN ('open', 'click') AND NOT e.is_machine"
                + " ORDER BY e.tenant_id, e.email_id, e.occurred_at, e.event_id";
        List<Change> out = new ArrayList<>();
        collect(c, "DELETE FROM email_human_opens h USING " + emails + " r WHERE h.tenant_id = r.tenant_id"
                + " AND h.email_id = r.email_id AND NOT EXISTS (SELECT 1 FROM (" + want + ") w WHERE w.tenant_id = h.tenant_id"
                + " AND w.email_id = h.email_id AND w.event_id = h.event_id)"
                + " RETURNING h.tenant_id, h.user_id, h.campaign_id, h.mailbox_id, h.opened_at", -1, out);
        collect(c, "INSERT INTO email_human_opens (" + COLUMNS + ") SELECT * FROM (" + want + ") w"
                + " ON CONFLICT DO NOTHING RETURNING tenant_id, user_id, campaign_id, mailbox_id, opened_at", 1, out);
        return out;
    }

    private static void collect(Connection c, String sql, int delta, List<Change> out) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql); ResultSet r = s.executeQuery()) {
            while (r.next()) {
                out.add(new Change(r.getObject(1, UUID.class), r.getObject(2, UUID.class), r.getString(3), r.getString(4),
                        DailyFold.utcDate(r.getObject(5, OffsetDateTime.class)), delta));
            }
        }
    }
}
