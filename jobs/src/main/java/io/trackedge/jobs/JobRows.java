package io.trackedge.jobs;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;

/** Reads of {@code analytics_jobs} for people and gauges: the listing, the queue depths, one job's outcome. */
public final class JobRows {

    private JobRows() {
    }

    /**
     * One job as {@code jobs list} shows it.
     *
     * @param deferrals contentions in a row since its last completed run (V35)
     * @param nextTry when a queued or failed job that waits (a backoff, a deferral) runs next; null when it is due, or not waiting
     */
    public record Row(UUID jobId, String type, Period period, UUID tenant, int priority, JobStatus status, int attempts,
                      int maxAttempts, int deferrals, Instant queuedAt, Instant startedAt, Instant finishedAt, Instant nextTry,
                      String runner, String lastError) {
    }

    /**
     * Jobs by status, counted per priority; what the gauges and {@code /readyz} show.
     *
     * @param unknownType queued or failed jobs of a type the registry asked with does not have: removed by
     *     an upgrade (no runner of this version will ever run them) or added by a newer node in a rolling
     *     one. They are in none of the other counts, so {@code ready} is what this version can run.
     */
    public record Depth(Map<Integer, Long> readyByPriority, long running, long failedWaiting, long dead, long unknownType) {
        public static final Depth EMPTY = new Depth(Map.of(), 0, 0, 0, 0);

        public long ready() {
            return readyByPriority.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /**
     * Where one job stands, for a caller waiting on it. The tenant-job counts are of the per-tenant jobs of
     * its type and period when it completed by {@link TenantSplit}'s split, else 0.
     */
    public record Outcome(JobStatus status, boolean deferred, long tenantJobs, long tenantJobsPending, long tenantJobsFailed) {

        /** Done with, as far as a caller waiting on it goes: not queued or running (a deferred one waits for long), nor its tenant jobs. */
        public boolean settled() {
            boolean pending = status == JobStatus.QUEUED && !deferred || status == JobStatus.RUNNING;
            return !pending && tenantJobsPending == 0;
        }
    }

    /** The job's {@link Outcome}, or null when there is no such job. */
    public static Outcome outcome(DataSource ds, UUID job) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement s = c.prepareStatement("SELECT p.status, p.deferrals > 0,"
                + " t.all_jobs, t.pending, t.failed FROM analytics_jobs p LEFT JOIN LATERAL (SELECT count(*) AS all_jobs,"
                + " count(*) FILTER (WHERE q.status IN ('queued', 'running')) AS pending,"
                + " count(*) FILTER (WHERE q.status IN ('failed', 'dead')) AS failed FROM analytics_jobs q"
                + " WHERE p.status = 'completed' AND p.last_error LIKE ? AND q.job_type = p.job_type AND q.granularity = p.granularity"
                + " AND q.period_start = p.period_start AND q.tenant_id IS NOT NULL) t ON true WHERE p.job_id = ?")) {
            s.setString(1, TenantSplit.NOTE + "%");
            s.setObject(2, job);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return null;
                }
                return new Outcome(JobStatus.parse(r.getString(1)), r.getBoolean(2), r.getLong(3), r.getLong(4), r.getLong(5));
            }
        }
    }

    static Job job(ResultSet r) throws SQLException {
        Granularity g = Granularity.parse(r.getString("granularity"));
        Period p = new Period(g, r.getTimestamp("period_start").toInstant(), r.getTimestamp("period_end").toInstant());
        return new Job(r.getObject("job_id", UUID.class), r.getString("job_type"), p, r.getObject("tenant_id", UUID.class),
                r.getInt("priority"), r.getInt("attempts"), r.getInt("max_attempts"), r.getString("runner"),
                r.getTimestamp("queued_at").toInstant());
    }

    /**
     * The latest jobs first.
     *
     * @param status only this status, or null for all
     */
    public static List<Row> list(DataSource ds, JobStatus status, int limit) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement s = c.prepareStatement("SELECT job_id, job_type, granularity,"
                + " period_start, period_end, tenant_id, priority, status, attempts, max_attempts, deferrals, queued_at, started_at,"
                + " finished_at, CASE WHEN status IN ('queued', 'failed') AND run_after > now() THEN run_after END AS next_try,"
                + " runner, last_error FROM analytics_jobs WHERE (?::text IS NULL OR status = ?)"
                + " ORDER BY period_start DESC, priority, job_type LIMIT ?")) {
            s.setString(1, status == null ? null : status.sql());
            s.setString(2, status == null ? null : status.sql());
            s.setInt(3, limit);
            List<Row> out = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    Granularity g = Granularity.parse(r.getString("granularity"));
                    out.add(new Row(r.getObject("job_id", UUID.class), r.getString("job_type"),
                            new Period(g, instant(r, "period_start"), instant(r, "period_end")),
                            r.getObject("tenant_id", UUID.class), r.getInt("priority"), JobStatus.parse(r.getString("status")),
                            r.getInt("attempts"), r.getInt("max_attempts"), r.getInt("deferrals"), instant(r, "queued_at"),
                            instant(r, "started_at"), instant(r, "finished_at"), instant(r, "next_try"),
                            r.getString("runner"), r.getString("last_error")));
                }
            }
            return out;
        }
    }

    /**
     * Counts the unfinished and dead jobs. Ready means queued or failed, and due: a failed or deferred job
     * waits until {@code run_after}.
     *
     * @param types the job types this version runs (its registry's); the queued or failed jobs of others
     *     are counted apart ({@link Depth#unknownType})
     */
    public static Depth depth(DataSource ds, List<String> types) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement s = c.prepareStatement("SELECT priority, status,"
                + " run_after <= now() AS due, job_type = ANY (?) AS known, count(*) FROM analytics_jobs"
                + " WHERE status <> 'completed' GROUP BY 1, 2, 3, 4")) {
            s.setArray(1, JobStore.textArray(c, types));
            try (ResultSet r = s.executeQuery()) {
                return depth(r);
            }
        }
    }

    private static Depth depth(ResultSet r) throws SQLException {
        Map<Integer, Long> ready = new HashMap<>();
        long running = 0;
        long waiting = 0;
        long dead = 0;
        long unknown = 0;
        while (r.next()) {
            int priority = r.getInt(1);
            JobStatus st = JobStatus.parse(r.getString(2));
            boolean due = r.getBoolean(3);
            long n = r.getLong(5);
            if (!r.getBoolean(4) && (st == JobStatus.QUEUED || st == JobStatus.FAILED)) {
                unknown += n;
                continue;
            }
            switch (st) {
                case RUNNING -> running += n;
                case DEAD -> dead += n;
                case FAILED, QUEUED -> { // a queued job is not due only when deferred (V35)
                    if (due) {
                        ready.merge(priority, n, Long::sum);
                    } else {
                        waiting += n;
                    }
                }
                default -> ready.merge(priority, n, Long::sum);
            }
        }
        return new Depth(Map.copyOf(ready), running, waiting, dead, unknown);
    }

    private static Instant instant(ResultSet r, String column) throws SQLException {
        Timestamp t = r.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }
}
