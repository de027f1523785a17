package io.trackedge.clusters;

import io.trackedge.db.SqlStates;
import io.trackedge.jobs.rollup.RollUps;
import io.trackedge.sink.postgres.TenantRewrites;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * What must hold before a tenant's rows move, checked and locked in the two clusters' transactions;
 * each refusal ({@link TenantMove.MoveRefused}) says why and what to do.
 */
final class MoveGuards {


    private MoveGuards() {
    }

    /** The same migrations in both, or the copy's columns would not match. */
    static void sameSchema(Connection source, Connection destination) throws SQLException {
        String a = schema(source);
        String b = schema(destination);
        if (!a.equals(b)) {
            throw new TenantMove.MoveRefused("the clusters' schemas differ (migrations up to V" + a + " and V" + b
                    + "): run trackedge migrate first");
        }
    }

    /**
     * Holds off, to the end of the destination's transaction, its roll-up jobs recounting {@code days}
     * for the tenant ({@link RollUps#lockDays}); before the move writes anything there, since such a
     * job inserts the roll-up rows the copy merges into, in its own order. A job that keeps one of
     * those days past the move's lock wait refuses the move.
     */
    static void holdJobs(Connection destination, UUID tenant, SortedSet<LocalDate> days, String destinationName) throws SQLException {
        try {
            RollUps.lockDays(destination, tenant, days);
        } catch (SQLException e) {
            if (!SqlStates.LOCK_NOT_AVAILABLE.equals(e.getSQLState())) {
                throw e;
            }
            throw new TenantMove.MoveRefused("a roll-up job of " + destinationName + " kept a day of tenant " + tenant
                    + " longer than the move waits for a lock (" + TenantMove.LOCK_WAIT + "); nothing was moved: run the move again", e);
        }
    }

    /**
     * Holds, to the end of both transactions: a second move of the tenant out of the source or into
     * the destination (an advisory lock in each), the destination's sink batches and re-scores
     * correcting the tenant's verdicts ({@link #holdRewrites}), and every erasure in either cluster ({@code erasure_audit} in SHARE mode,
     * as a sink's batch takes it). An erasure deletes in the destination, then the source: running
     * between the copy's commit and the source's delete, it would find the recipient's rows in
     * neither and leave the copies. Call it before any query of the source's transaction.
     */
    static void lock(Connection source, Connection destination, UUID tenant, String sourceName, String destinationName)
            throws SQLException {
        // The destination's first (it reads committed rows, so it has no snapshot to keep): a second
        // move is refused before it would wait below, and the rewrite lock is taken holding nothing else.
        tryMoveLock(destination, tenant, "into " + destinationName);
        holdRewrites(destination, tenant, destinationName);
        // Before the first query: a REPEATABLE READ snapshot is taken there, and must not predate an erasure that had the lock.
        for (Connection c : List.of(source, destination)) {
            try (Statement s = c.createStatement()) {
                s.execute("LOCK TABLE erasure_audit IN SHARE MODE");
            }
        }
        tryMoveLock(source, tenant, "out of " + sourceName);
    }

    /** A second move of the tenant out of this cluster or into it: refused at once. */
    private static void tryMoveLock(Connection c, UUID tenant, String where) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT pg_try_advisory_xact_lock(hashtextextended('tenant_move:' || ?, 0))")) {
            s.setString(1, tenant.toString());
            try (ResultSet r = s.executeQuery()) {
                r.next();
                if (!r.getBoolean(1)) {
                    throw new TenantMove.MoveRefused("another move of tenant " + tenant + " is running, " + where);
                }
            }
        }
    }

    /**
     * Waits for the destination's sink batches and re-scores correcting the tenant's verdicts, which
     * rewrite first touches out of key order ({@link TenantRewrites}), and holds new ones off to the end
     * of the move; one still running past the move's lock wait refuses the move.
     */
    private static void holdRewrites(Connection destination, UUID tenant, String destinationName) throws SQLException {
        try {
            TenantRewrites.holdForMove(destination, tenant);
        } catch (SQLException e) {
            if (!SqlStates.LOCK_NOT_AVAILABLE.equals(e.getSQLState())) {
                throw e;
            }
            throw new TenantMove.MoveRefused("a sink batch or re-score of " + destinationName + " correcting tenant " + tenant
                    + "'s verdicts held it longer than the move waits for a lock (" + TenantMove.LOCK_WAIT
                    + "); nothing was moved: run the move again", e);
        }
    }

    /**
     * An erasure deletes in the tenant's cluster (the destination) first, then in the others, each in
     * a transaction of its own, and one it could not reach it leaves for a retry. Between the two, the
     * source still holds the recipient's rows, and the move would copy them back where the erasure
     * has been: refused until each of the tenant's erasures is audited in both.
     */
    static void noErasureHalfDone(Connection source, Connection destination, UUID tenant, String sourceName,
            String destinationName) throws SQLException {
        String audited = "SELECT DISTINCT encode(email_hash, 'hex') FROM erasure_audit WHERE tenant_id = '" + tenant + "' ORDER BY 1";
        List<String> pending = new ArrayList<>(dates(destination, audited));
        pending.removeAll(dates(source, audited));
        if (!pending.isEmpty()) {
            throw new TenantMove.MoveRefused(pending.size() + " erasure(s) of tenant " + tenant + " are done in " + destinationName
                    + " and not in " + sourceName + ": run them again (trackedge erase) so they reach " + sourceName + ", then move");
        }
    }

    /**
     * A move of the tenant into the source that stopped between its two commits left the tenant's
     * rows in two clusters: moving it out of the source now would copy what that move copied and
     * leave its first copy behind (raw events would count twice). It must be finished first.
     */
    static void noUnfinishedMoveInto(Connection source, UUID tenant, String sourceName) throws SQLException {
        try (PreparedStatement s = source.prepareStatement("SELECT from_cluster FROM tenant_moves WHERE tenant_id = ? AND state = 'copied'")) {
            s.setObject(1, tenant);
            try (ResultSet r = s.executeQuery()) {
                if (r.next()) {
                    String from = r.getString(1);
                    throw new TenantMove.MoveRefused("a move of tenant " + tenant + " from " + from + " into " + sourceName
                            + " stopped before it deleted the rows from " + from + " (tenant_moves in " + sourceName + "): finish it "
                            + "first, with the routing table sending the tenant to " + sourceName + " again (trackedge clusters move "
                            + "--tenant " + tenant + " --from " + from + "), then move it out of " + sourceName);
                }
            }
        }
    }

    /**
     * A move of the tenant out of the source into a third cluster that stopped between its two commits
     * left a copy of the source's rows there, recorded there alone (the destination and the source know
     * nothing of it): copying them again, here, would leave both copies, counted twice. Every other
     * configured cluster is asked; one that does not answer refuses the move, since it may hold such a
     * record. Call it holding the source's move lock, so that no other move out of the source commits a
     * copy after this read.
     *
     * @param others every configured cluster but the source and the destination, by name
     */
    static void noUnfinishedMoveElsewhere(Map<String, DataSource> others, UUID tenant, String sourceName, String destinationName) {
        for (Map.Entry<String, DataSource> other : others.entrySet()) {
            String there = other.getKey();
            boolean unfinished;
            try (Connection c = other.getValue().getConnection(); PreparedStatement s = c.prepareStatement(
                    "SELECT 1 FROM tenant_moves WHERE tenant_id = ? AND from_cluster = ? AND state = 'copied'")) {
                s.setObject(1, tenant);
                s.setString(2, sourceName);
                try (ResultSet r = s.executeQuery()) {
                    unfinished = r.next();
                }
            } catch (SQLException e) {
                throw new TenantMove.MoveRefused("cannot read tenant_moves in cluster " + there + " (" + e.getMessage() + "): it may "
                        + "hold an unfinished move of tenant " + tenant + " out of " + sourceName + ", whose rows this move would copy "
                        + "a second time; nothing was moved: run the move again when " + there + " answers (and is migrated)", e);
            }
            if (unfinished) {
                throw new TenantMove.MoveRefused("a move of tenant " + tenant + " from " + sourceName + " into " + there
                        + " stopped before it deleted the rows from " + sourceName + " (tenant_moves in " + there + "): " + there
                        + " holds a copy of them, and moving them into " + destinationName + " too would count them twice. Finish it "
                        + "first, with the routing table sending the tenant to " + there + " again (trackedge clusters move --tenant "
                        + tenant + " --from " + sourceName + "), then pin it to " + destinationName + " and move it from " + there
                        + " (--from " + there + ")");
            }
        }
    }

    /** A roll-up of the tenant's own running in the source would write its rows there after the delete. */
    static void noJobRunning(Connection source, UUID tenant, String sourceName) throws SQLException {
        try (PreparedStatement s = source.prepareStatement("SELECT job_type FROM analytics_jobs WHERE tenant_id = ? AND status = 'running'")) {
            s.setObject(1, tenant);
            try (ResultSet r = s.executeQuery()) {
                if (r.next()) {
                    throw new TenantMove.MoveRefused("a " + r.getString(1) + " job of tenant " + tenant + " is running in " + sourceName
                            + ": try again when it has finished");
                }
            }
        }
    }

    /**
     * Refuses when retention has dropped days the move would need: raw events of the tenant in the
     * source on a day the destination has dropped (they would land in its default partition, past
     * its retention), or daily numbers of the tenant in both clusters on a day dropped in either
     * (the two cannot be recounted from raw events into one).
     */
    static void noDroppedDays(Connection source, Connection destination, UUID tenant) throws SQLException {
        String droppedThere = dropped(destination);
        String droppedHere = dropped(source);
        if (droppedThere != null && !dates(source, "SELECT DISTINCT (occurred_at AT TIME ZONE 'UTC')::date FROM email_event_rows"
                + " WHERE tenant_id = '" + tenant + "' AND occurred_at < ('" + droppedThere + "'::date + 1)::timestamp AT TIME ZONE 'UTC'"
                + " ORDER BY 1 LIMIT 5").isEmpty()) {
            throw new TenantMove.MoveRefused("the source holds raw events of tenant " + tenant + " of days the destination's retention "
                    + "dropped (up to " + droppedThere + "): run the retention job in the source first");
        }
        String upTo = droppedThere == null ? droppedHere : droppedHere == null || droppedThere.compareTo(droppedHere) > 0 ? droppedThere : droppedHere;
        if (upTo == null) {
            return;
        }
        List<String> there = dates(destination, "SELECT DISTINCT date::text FROM daily_analytics WHERE tenant_id = '" + tenant
                + "' AND date <= '" + upTo + "' ORDER BY 1");
        if (there.isEmpty()) {
            return;
        }
        List<String> both = new ArrayList<>(dates(source, "SELECT DISTINCT date::text FROM daily_analytics WHERE tenant_id = '" + tenant
                + "' AND date <= '" + upTo + "' ORDER BY 1"));
        both.retainAll(there);
        if (!both.isEmpty()) {
            throw new TenantMove.MoveRefused("tenant " + tenant + " has numbers in both clusters for days whose raw events retention "
                    + "dropped (" + both.get(0) + (both.size() > 1 ? " and " + (both.size() - 1) + " more" : "")
                    + "): they cannot be recounted into one; it was re-pinned longer ago than retention-days");
        }
    }

    private static String dropped(Connection c) throws SQLException {
        List<String> d = dates(c, "SELECT max(day)::text FROM email_events_dropped_through");
        return d.isEmpty() ? null : d.get(0);
    }

    /** The first column of every row, nulls left out. */
    private static List<String> dates(Connection c, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            while (r.next()) {
                if (r.getString(1) != null) {
                    out.add(r.getString(1));
                }
            }
        }
        return out;
    }

    private static String schema(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(
                "SELECT max(version::int) FROM flyway_schema_history WHERE success AND version IS NOT NULL")) {
            r.next();
            return String.valueOf(r.getInt(1));
        }
    }
}
