package io.trackedge.jobs;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Every read and write of {@code analytics_jobs}: the record of all jobs and the one place a job is
 * owned. A runner owns a job only through {@link #claim}/{@link #claimNext}, a conditional UPDATE
 * that PostgreSQL serialises on the row, so two runners never both hold one job; every later write
 * is conditional on the claim ({@code runner}, {@code attempts}, status {@code running}).
 *
 * <p>Statements without a {@link Connection} argument run on their own, autocommitted.
 */
public final class JobStore {

    private static final String RETURNING = " RETURNING j.job_id, j.job_type, j.granularity, j.period_start, j.period_end,"
            + " j.tenant_id, j.priority, j.attempts, j.max_attempts, j.runner, j.queued_at";
    private static final String CLAIM_SET = "UPDATE analytics_jobs j SET status = 'running', runner = ?, attempts = j.attempts + 1,"
            + " started_at = now(), finished_at = NULL, lease_until = now() + make_interval(secs => ?),"
            // what the run will see at least (LateEventReruns): its statements start after this commits
            + " claim_snapshot = pg_current_snapshot(), rerun_requested = false";
    static final String READY = "status IN ('queued', 'failed') AND run_after <= now()";

    /** The longest {@code last_error} kept. */
    private static final int MAX_ERROR = 2000;

    private final DataSource ds;
    private final JobSettings settings;

    public JobStore(DataSource ds, JobSettings settings) {
        this.ds = ds;
        this.settings = settings;
    }

    public DataSource dataSource() {
        return ds;
    }

    /** The settings its leases, backoffs and dispatch follow. */
    JobSettings settings() {
        return settings;
    }

    /** The outcome of an enqueue: the job's id, and whether this call made it (false: it existed already). */
    public record Enqueued(UUID jobId, int priority, boolean created) {
    }

    /**
     * Enqueues the job for (type, period, tenant) unless one exists: the idempotency key makes a
     * second enqueue of the same job return the first, whatever its status.
     */
    public Enqueued enqueue(Connection c, String type, int priority, Period period, UUID tenant) throws SQLException {
        UUID id = UUID.randomUUID();
        try (PreparedStatement s = c.prepareStatement("INSERT INTO analytics_jobs (job_id, job_type, tenant_id, granularity,"
                + " period_start, period_end, priority, max_attempts, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb)"
                + " ON CONFLICT DO NOTHING")) {
            s.setObject(1, id);
            s.setString(2, type);
            s.setObject(3, tenant, Types.OTHER);
            s.setString(4, period.granularity().label());
            s.setTimestamp(5, Timestamp.from(period.start()));
            s.setTimestamp(6, Timestamp.from(period.end()));
            s.setInt(7, priority);
            s.setInt(8, settings.maxAttempts());
            s.setString(9, "{\"period\":\"" + period + "\",\"tenant\":" + (tenant == null ? "null" : "\"" + tenant + "\"") + "}");
            if (s.executeUpdate() == 1) {
                return new Enqueued(id, priority, true);
            }
        }
        try (PreparedStatement s = c.prepareStatement("SELECT job_id FROM analytics_jobs WHERE tenant_id IS NOT DISTINCT FROM ?"
                + " AND job_type = ? AND granularity = ? AND period_start = ?")) {
            s.setObject(1, tenant, Types.OTHER);
            s.setString(2, type);
            s.setString(3, period.granularity().label());
            s.setTimestamp(4, Timestamp.from(period.start()));
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    throw new SQLException("job " + type + " " + period + " neither inserted nor found");
                }
                return new Enqueued(r.getObject(1, UUID.class), priority, false);
            }
        }
    }

    /**
     * Runs job {@code job} again if it started before {@code due}, when its period's events are all in (the
     * period's end plus the schedule delay): it was enqueued by hand and counted part of the period. A
     * completed one is queued again now (whenever it finished: its read began before {@code due}); a running
     * one that started before {@code due} is flagged to be
     * queued again when it completes (before, it completed with its partial count, and nothing queued it
     * again: those events were not late, so the sink marked nothing for them). The scheduler calls this
     * for the job it finds when it enqueues the period.
     *
     * @return whether it is queued now (a flagged running one is not yet)
     */
    public boolean requeueIfRunBefore(Connection c, UUID job, java.time.Instant due) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE analytics_jobs SET"
                + " rerun_requested = rerun_requested OR status = 'running',"
                + " attempts = CASE WHEN status = 'running' THEN attempts ELSE 0 END,"
                + " run_after = CASE WHEN status = 'running' THEN run_after ELSE now() END,"
                + " dispatched_at = CASE WHEN status = 'running' THEN dispatched_at END,"
                + " finished_at = CASE WHEN status = 'running' THEN finished_at END,"
                + " queued_at = CASE WHEN status = 'running' THEN queued_at ELSE now() END,"
                + " status = CASE WHEN status = 'running' THEN status ELSE 'queued' END"
                + " WHERE job_id = ? AND (status = 'completed' AND coalesce(started_at, finished_at) < ?"
                + " OR status = 'running' AND started_at < ?)"
                + " RETURNING status")) {
            s.setObject(1, job);
            s.setTimestamp(2, Timestamp.from(due));
            s.setTimestamp(3, Timestamp.from(due));
            try (ResultSet r = s.executeQuery()) {
                return r.next() && r.getString(1).equals("queued");
            }
        }
    }

    /**
     * Has job {@code id} run again on {@code c}: queued again with its attempts and deferrals reset when it is
     * queued, failed, dead or completed, or flagged to be queued again when it completes if it is
     * running now (its claim may have read the period before the rows that call for the re-run).
     */
    public void rerun(Connection c, UUID id) throws SQLException {
        // One statement: if the runner's completion commits while this waits for the row, PostgreSQL
        // re-reads it and the CASEs see "completed", not the "running" a second statement would have missed.
        try (PreparedStatement s = c.prepareStatement("UPDATE analytics_jobs SET"
                + " rerun_requested = rerun_requested OR status = 'running',"
                + " attempts = CASE WHEN status = 'running' THEN attempts ELSE 0 END,"
                + " deferrals = CASE WHEN status = 'running' THEN deferrals ELSE 0 END,"
                + " run_after = CASE WHEN status = 'running' THEN run_after ELSE now() END,"
                + " dispatched_at = CASE WHEN status = 'running' THEN dispatched_at END,"
                + " finished_at = CASE WHEN status = 'running' THEN finished_at END,"
                + " queued_at = CASE WHEN status = 'running' THEN queued_at ELSE now() END,"
                + " status = CASE WHEN status = 'running' THEN status ELSE 'queued' END"
                + " WHERE job_id = ?")) {
            s.setObject(1, id);
            s.executeUpdate();
        }
    }

    public Enqueued enqueue(String type, int priority, Period period, UUID tenant) throws SQLException {
        try (Connection c = ds.getConnection()) {
            return enqueue(c, type, priority, period, tenant);
        }
    }

    /** Claims job {@code id} (a Redis hint) if it is ready and of a known type; null if it is not (any more). */
    public Job claim(UUID id, String runner, List<String> types) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement s = c.prepareStatement(CLAIM_SET
                + " WHERE j.job_id = ? AND j.job_type = ANY (?) AND " + READY + RETURNING)) {
            s.setString(1, runner);
            s.setDouble(2, seconds(settings.visibilityTimeout()));
            s.setObject(3, id);
            s.setArray(4, textArray(c, types));
            return one(s);
        }
    }

    /** Claims the most urgent ready job of a known type straight from PostgreSQL; null when none is ready. */
    public Job claimNext(String runner, List<String> types) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement s = c.prepareStatement(CLAIM_SET
                + " FROM (SELECT job_id FROM analytics_jobs WHERE " + READY + " AND job_type = ANY (?)"
                + " ORDER BY priority, run_after LIMIT 1 FOR UPDATE SKIP LOCKED) n WHERE j.job_id = n.job_id" + RETURNING)) {
            s.setString(1, runner);
            s.setDouble(2, seconds(settings.visibilityTimeout()));
            s.setArray(3, textArray(c, types));
            return one(s);
        }
    }

    /** Extends the lease of a job still held; false when the claim is lost (reaped and taken by another runner). */
    public boolean renewLease(Job j) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement s = c.prepareStatement("UPDATE analytics_jobs"
                + " SET lease_until = now() + make_interval(secs => ?) WHERE job_id = ? AND runner = ? AND attempts = ?"
                + " AND status = 'running'")) {
            s.setDouble(1, seconds(settings.visibilityTimeout()));
            bindClaim(s, 2, j);
            return s.executeUpdate() == 1;
        }
    }

    /** How a run ended in {@link #complete}. */
    public enum Completion {
        COMPLETED,
        /** Completed, and queued again: a late batch landed in its period while it ran (LateEventReruns). */
        REQUEUED,
        /** The claim was lost: the caller rolls back. */
        LOST
    }

    /**
     * Marks the job completed inside the roll-up's own transaction {@code c} (or queued again, when
     * the scheduler flagged it for a late batch its claim did not see); {@link Completion#LOST} when
     * the claim was lost, in which case the caller must roll back so that only the owner's recount commits.
     */
    public Completion complete(Connection c, Job j) throws SQLException {
        // A job the scheduler flagged while it ran (a late batch its claim did not see) goes back to
        // the queue instead; SET reads the row as it was, so every CASE sees the flag. The row's
        // trigger (sql/V23) does the same for a runner of a version before the flag; this statement
        // does not rely on it, so a schema not yet migrated to V23 loses no re-run either.
        try (PreparedStatement s = c.prepareStatement("UPDATE analytics_jobs SET"
                + " status = CASE WHEN rerun_requested THEN 'queued' ELSE 'completed' END,"
                + " finished_at = CASE WHEN rerun_requested THEN NULL ELSE now() END,"
                + " attempts = CASE WHEN rerun_requested THEN 0 ELSE attempts END,"
                + " run_after = CASE WHEN rerun_requested THEN now() ELSE run_after END,"
                + " queued_at = CASE WHEN rerun_requested THEN now() ELSE queued_at END,"
                + " dispatched_at = CASE WHEN rerun_requested THEN NULL ELSE dispatched_at END,"
                + " rerun_requested = false, lease_until = NULL, deferrals = 0"
                + " WHERE job_id = ? AND runner = ? AND attempts = ? AND status = 'running' RETURNING status")) {
            bindClaim(s, 1, j);
            try (ResultSet r = s.executeQuery()) {
                return !r.next() ? Completion.LOST : r.getString(1).equals("queued") ? Completion.REQUEUED : Completion.COMPLETED;
            }
        }
    }

    /**
     * Records a failed attempt: {@code failed} with the next attempt after the backoff, or
     * {@code dead} once every attempt is used. Returns the new status, or null if the claim was lost.
     */
    public JobStatus fail(Job j, String error) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement s = c.prepareStatement("UPDATE analytics_jobs SET"
                // a failed run runs again, and its next claim sees every batch: a flag would only re-run it twice
                + " status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'failed' END, last_error = ?, rerun_requested = false,"
                + " finished_at = now(), lease_until = NULL, dispatched_at = NULL,"
                + " run_after = now() + make_interval(secs => least(?, ? * power(2, attempts - 1)))"
                + " WHERE job_id = ? AND runner = ? AND attempts = ? AND status = 'running' RETURNING status")) {
            s.setString(1, truncated(error));
            s.setDouble(2, seconds(settings.maxRetryBackoff()));
            s.setDouble(3, seconds(settings.retryBackoff()));
            bindClaim(s, 4, j);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? JobStatus.parse(r.getString(1)) : null;
            }
        }
    }

    /**
     * Records a run that lost a contention ({@link Contention}): the job goes back to the queue with
     * its attempt given back, after a wait that doubles with each deferral of it since it last
     * completed (from {@code retry-backoff} up to {@code max-retry-backoff}). After
     * {@link JobSettings#maxDeferrals()} in a row it is not deferred (null): the caller fails the attempt, so a
     * lock that never comes free ends in {@code dead} and its alert, and each try's queueing of the
     * sinks behind it stops. Returns the new status, or null if the claim was lost or the job was
     * deferred too often.
     */
    public JobStatus defer(Job j, String reason) throws SQLException {
        // With the attempt given back, the next claim gets this claim's attempt number, maybe by the same
        // runner. The claim-conditional updates still fence: this run has ended, a runner runs one job
        // at a time, and a claim that reapExpired took back never has its attempt given back.
        try (Connection c = ds.getConnection(); PreparedStatement s = c.prepareStatement("UPDATE analytics_jobs SET"
                + " status = 'queued', attempts = attempts - 1, deferrals = deferrals + 1, last_error = ?, rerun_requested = false,"
                + " finished_at = now(), lease_until = NULL, dispatched_at = NULL,"
                + " run_after = now() + make_interval(secs => least(?, ? * power(2, least(deferrals, 30))))"
                + " WHERE job_id = ? AND runner = ? AND attempts = ? AND status = 'running' AND deferrals < ?"
                + " RETURNING status")) {
            s.setString(1, truncated(reason));
            s.setDouble(2, seconds(settings.maxRetryBackoff()));
            s.setDouble(3, seconds(settings.retryBackoff()));
            bindClaim(s, 4, j);
            s.setInt(7, settings.maxDeferrals());
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? JobStatus.parse(r.getString(1)) : null;
            }
        }
    }

    /**
     * Takes back every running job whose lease has passed (its runner died, or lost the database
     * for longer than the visibility timeout): the attempt counts as failed, and the job is ready
     * again at once, or {@code dead} if that was its last attempt. Returns how many were taken back.
     */
    public int reapExpired() throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement s = c.prepareStatement("UPDATE analytics_jobs SET"
                + " status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'failed' END,"
                + " last_error = 'lease expired on runner ' || runner || ' (it died, or lost the database)',"
                + " lease_until = NULL, dispatched_at = NULL, run_after = now(), rerun_requested = false"
                + " WHERE status = 'running' AND lease_until < now()")) {
            return s.executeUpdate();
        }
    }

    /**
     * Puts dead, failed or completed jobs back in the queue with their attempts and deferrals reset (a re-run
     * is safe: every roll-up recomputes its period), and a queued one that is not due to run now (one
     * deferred for a lock that has come free). Returns how many were requeued.
     *
     * @param id one job, or null for every dead job
     */
    public int retry(UUID id) throws SQLException {
        String where = id == null ? "status = 'dead'" : "job_id = ? AND (status IN ('dead', 'failed', 'completed')"
                + " OR status = 'queued' AND run_after > now())"; // a deferred job, to run now
        try (Connection c = ds.getConnection(); PreparedStatement s = c.prepareStatement("UPDATE analytics_jobs SET"
                + " status = 'queued', attempts = 0, deferrals = 0, run_after = now(), dispatched_at = NULL, finished_at = NULL,"
                + " queued_at = now() WHERE " + where)) {
            if (id != null) {
                s.setObject(1, id);
            }
            return s.executeUpdate();
        }
    }

    static String truncated(String error) {
        return error.length() > MAX_ERROR ? error.substring(0, MAX_ERROR) : error;
    }

    private Job one(PreparedStatement s) throws SQLException {
        try (ResultSet r = s.executeQuery()) {
            return r.next() ? JobRows.job(r) : null;
        }
    }

    private static void bindClaim(PreparedStatement s, int from, Job j) throws SQLException {
        s.setObject(from, j.jobId());
        s.setString(from + 1, j.runner());
        s.setInt(from + 2, j.attempt());
    }

    static Array textArray(Connection c, List<String> types) throws SQLException {
        return c.createArrayOf("text", types.toArray());
    }

    static double seconds(Duration d) {
        return d.toMillis() / 1000.0;
    }
}
