package io.trackedge.sink.bad;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Deletes the {@code bad_events} rows past retention: a row is kept {@code retention-days} after it
 * was set aside and, once replayed, as long after its replay (the later of the two), then deleted,
 * whatever it was set aside for and whether or not it decodes. Each holds the event's journal
 * record, with the recipient's email id, the URL and the address as the tenant keeps them, which
 * must not outlive the raw events themselves. An event set aside before the cutoff happened before
 * it too, so PostgreSQL would refuse its replay anyway (its day is dropped); a replayed one is in
 * {@code email_events}, where retention drops it with its day.
 *
 * <p>Run by whatever runs retention on the node: the {@code retention} job, or the PostgreSQL sink's
 * hourly housekeeping where no jobs run. It deletes in batches of {@code batch} rows, each in a
 * transaction of its own (the connection is in auto-commit), walking the table by id once per run:
 * no batch holds its row locks for long, so a replay or an erasure touching one of those rows waits
 * at most for a batch, and nothing waits on a table lock.
 */
public final class BadEventsRetention {

    /** Rows deleted per transaction. */
    public static final int BATCH = 1000;

    /** GREATEST skips NULL: an unreplayed row by when it was set aside. */
    private static final String PAST = "greatest(set_aside_at, replayed_at) < now() - make_interval(days => ?)";
    /**
     * The test again outside the subquery: a row the batch waited on (a replay marking it) is read again
     * once the lock is released, and one replayed meanwhile is kept for the window after its replay.
     */
    private static final String DELETE_BATCH = "DELETE FROM bad_events WHERE bad_event_id IN ("
            + "SELECT bad_event_id FROM bad_events WHERE bad_event_id > ? AND " + PAST
            + " ORDER BY bad_event_id LIMIT ?) AND " + PAST + " RETURNING bad_event_id";

    private BadEventsRetention() {
    }

    /**
     * Deletes the rows past {@code retentionDays} on {@code c}, which must be in auto-commit, and returns
     * how many.
     *
     * @param retentionDays days kept ({@code edge.database.retention-days}); 0 keeps them forever and does nothing
     */
    public static long purge(Connection c, int retentionDays) throws SQLException {
        return purge(c, retentionDays, BATCH);
    }

    /** As {@link #purge(Connection, int)}, {@code batch} rows per transaction. */
    public static long purge(Connection c, int retentionDays, int batch) throws SQLException {
        if (retentionDays <= 0) {
            return 0;
        }
        if (batch <= 0) {
            throw new IllegalArgumentException("batch must be positive, got " + batch);
        }
        if (!c.getAutoCommit()) {
            // One transaction would hold every deleted row's lock to its end: the batches are the point.
            throw new IllegalArgumentException("bad_events retention commits each batch: give it a connection in auto-commit");
        }
        long purged = 0;
        long after = 0;
        try (PreparedStatement s = c.prepareStatement(DELETE_BATCH)) {
            while (true) {
                s.setLong(1, after);
                s.setInt(2, retentionDays);
                s.setInt(3, batch);
                s.setInt(4, retentionDays);
                int deleted = 0;
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        deleted++;
                        after = Math.max(after, r.getLong(1));
                    }
                }
                purged += deleted;
                if (deleted < batch) {
                    return purged;
                }
            }
        }
    }
}
