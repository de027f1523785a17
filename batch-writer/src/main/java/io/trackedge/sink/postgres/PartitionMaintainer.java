package io.trackedge.sink.postgres;

import io.trackedge.db.Database;
import io.trackedge.db.LockWait;
import io.trackedge.db.Transaction;
import io.trackedge.sink.bad.BadEventsRetention;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps daily partitions of {@code email_events} ready a week ahead and, when retention is set,
 * drops whole partitions past it (a drop is instant; a DELETE of old rows is not), forgets the
 * ingest clients' event ids as old, and deletes the set-aside events past it ({@code bad_events},
 * {@link BadEventsRetention}). Idempotent: every edge node may run it.
 */
public final class PartitionMaintainer implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(PartitionMaintainer.class);
    private final Database db;
    private final int retentionDays;

    /** @param retentionDays days of raw events to keep; 0 keeps them forever */
    public PartitionMaintainer(Database db, int retentionDays) {
        this.db = db;
        this.retentionDays = retentionDays;
    }

    @Override
    public void run() {
        try (Connection c = db.dataSource().getConnection()) {
            try {
                int made = ensurePartitions(c, LockWait.DEFAULT);
                if (made > 0) {
                    log.info("email_events partitions: {} created", made);
                }
            } catch (SQLException e) {
                // Runs again next hour; the days are made a week ahead, and the default partition
                // would take the rows of a day that has none, so nothing is lost.
                log.warn("email_events partitions not made this time: {}", e.getMessage());
            }
            try {
                dropExpired(c, retentionDays);
            } catch (SQLException e) {
                // Runs again next hour; the set-aside events' deletion below does not wait for it.
                log.warn("email_events partitions past retention not dropped this time: {}", e.getMessage());
            }
            purgeBadEvents(c, retentionDays);
        } catch (SQLException e) {
            log.warn("partition maintenance failed: {}", e.getMessage()); // retention runs again next hour
        }
    }

    /**
     * Deletes the set-aside events past retention ({@link BadEventsRetention}), a batch per transaction on
     * {@code c} (in auto-commit), and logs how many. Outside every other transaction of retention: the
     * partitions' drop holds every read and write of events behind its lock until it commits.
     */
    public static long purgeBadEvents(Connection c, int retentionDays) throws SQLException {
        long purged = BadEventsRetention.purge(c, retentionDays);
        if (purged > 0) {
            log.info("bad_events: {} set-aside events past retention ({} days) deleted", purged, retentionDays);
        }
        return purged;
    }

    /**
     * Makes the daily partitions from yesterday to a week ahead that are missing, in one transaction
     * on {@code c} (left in auto-commit), and returns how many. Making a partition locks
     * {@code email_event_rows} ACCESS EXCLUSIVE, as retention's drop does, so it waits for that lock
     * as {@code wait} says ({@link LockWait}): behind a long reader, or a sink's batch waiting for the
     * one before it, it gives up (55P03) instead of holding every write and read of events behind it.
     * A day is made a week before it is needed, so a run that gives up loses nothing.
     */
    static int ensurePartitions(Connection c, LockWait wait) throws SQLException {
        return Transaction.run(c, t -> wait.call(t, s -> single(s, "SELECT email_events_ensure_partitions(1, 7)")));
    }

    /**
     * Drops the raw {@code email_events} partitions past {@code retentionDays}, deletes the default
     * partition's events of those days, records the last day dropped ({@code email_events_dropped_through},
     * so that no event lands in it again), and forgets the ingest clients' event ids as old, on
     * {@code c}: inside the caller's transaction, or, given auto-commit, the ids in a transaction and
     * the rest in another. The aggregates are never touched. Returns the partitions dropped.
     *
     * <p>It locks {@code email_event_rows} (ACCESS EXCLUSIVE, as the partition drop would anyway, so
     * reads of events wait for the deletes and the drop) before it deletes. A sink's batch holds that
     * table's write lock from its COPY to its commit and reads the days dropped after it
     * ({@link RetentionCutoff#ensureNotDropped}), so either the batch commits before the deletes here
     * look, or it reads this run's mark. Each try for the lock waits at most a second
     * ({@link LockWait#DEFAULT}): while it waits every write and read of events queues behind it, and
     * a long reader (a reconciliation's recount) holds it off; after ten tries the run fails
     * (SQLState 55P03): the retention job is deferred to a later run (V35), the sinks' hourly
     * housekeeping tries again the next hour. A run that
     * finds its cutoff's day recorded already ends without the lock: the hourly runs of a day.
     *
     * @param retentionDays days of raw events to keep; 0 keeps them forever and does nothing
     */
    public static int dropExpired(Connection c, int retentionDays) throws SQLException {
        return dropExpired(c, retentionDays, LockWait.DEFAULT);
    }

    /** As {@link #dropExpired(Connection, int)}, each try for the lock as {@code wait} says. */
    public static int dropExpired(Connection c, int retentionDays, LockWait wait) throws SQLException {
        if (retentionDays <= 0) {
            return 0;
        }
        if (!c.getAutoCommit()) {
            forgetIngestIds(c, retentionDays);
            return dropAndMark(c, retentionDays, wait);
        }
        forgetIngestIds(c, retentionDays); // committed on its own: its row locks never wait on the table lock
        return Transaction.run(c, t -> dropAndMark(t, retentionDays, wait));
    }

    /**
     * Client event ids are remembered as long as raw events are kept: the window in which a retried
     * ingest request is still recognised.
     */
    private static void forgetIngestIds(Connection c, int retentionDays) throws SQLException {
        try (Statement s = c.createStatement()) {
            int forgotten = s.executeUpdate("DELETE FROM ingest_event_ids WHERE first_seen_at < now() - make_interval(days => "
                    + retentionDays + ")");
            if (forgotten > 0) {
                log.info("ingest_event_ids: {} ids older than {} days forgotten", forgotten, retentionDays);
            }
        }
    }

    private static int dropAndMark(Connection c, int retentionDays, LockWait wait) throws SQLException {
        try (Statement s = c.createStatement()) {
            if (single(s, "SELECT count(*) FROM email_events_dropped_through WHERE day >= (now() AT TIME ZONE 'UTC')::date - "
                    + retentionDays + " - 1") > 0) {
                return 0; // this cutoff's run is done; the sinks refuse its days since, so nothing of them came in
            }
            // In force to the commit: the drop's locks on the partitions (a compaction's REINDEX may hold one) wait no longer.
            wait.run(c, "LOCK TABLE ONLY email_event_rows IN ACCESS EXCLUSIVE MODE");
            // Events of days that had no partition when they landed (a new database given older
            // events: partitions are made from yesterday on) wait in the default partition, which is
            // never dropped: the same cutoff reaches them there.
            int purged = s.executeUpdate("DELETE FROM email_events_default WHERE occurred_at < "
                    + "((now() AT TIME ZONE 'UTC')::date - " + retentionDays + ")::timestamp AT TIME ZONE 'UTC'");
            if (purged > 0) {
                log.info("email_events_default: {} events older than {} days deleted", purged, retentionDays);
            }
            int dropped = single(s, "SELECT email_events_drop_partitions_older_than(" + retentionDays + ")");
            if (dropped > 0) {
                log.info("email_events partitions: {} dropped (retention {} days)", dropped, retentionDays);
            }
            // Every day before the cutoff is gone now, whatever retention-days says later (V31, RetentionCutoff).
            s.executeUpdate("INSERT INTO email_events_dropped_through (day) VALUES ((now() AT TIME ZONE 'UTC')::date - "
                    + retentionDays + " - 1) ON CONFLICT DO NOTHING");
            return dropped;
        }
    }

    private static int single(Statement s, String sql) throws SQLException {
        try (ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getInt(1);
        }
    }
}
