package io.trackedge.jobs;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Which ready jobs Redis was told of ({@code analytics_jobs.dispatched_at}): a hint lost with a
 * flushed or restarted Redis, or popped by a runner that died, is pushed again once the visibility
 * timeout has passed. PostgreSQL stays the record ({@link JobStore}); this is only the bookkeeping of
 * the hints.
 */
final class JobDispatch {

    /**
     * A job to hint in Redis.
     *
     * @param again hinted before, its hint older than the visibility timeout: lost, or still queued
     *     behind others (then pushing it again would only queue a duplicate: {@link RedisHints#queued})
     */
    record Hint(UUID jobId, String type, int priority, boolean again) {
    }

    private final DataSource ds;
    private final JobSettings settings;

    JobDispatch(DataSource ds, JobSettings settings) {
        this.ds = ds;
        this.settings = settings;
    }

    /**
     * Ready jobs with no hint in Redis younger than the visibility timeout (never pushed, or pushed
     * and not claimed since). Marks them dispatched now; the caller pushes them, but for a hint given
     * {@link Hint#again} that is still in its queue (asked again a timeout later).
     */
    List<Hint> takeUndispatched(List<String> types, int limit) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement s = c.prepareStatement("UPDATE analytics_jobs j"
                + " SET dispatched_at = now() FROM (SELECT job_id, dispatched_at IS NOT NULL AS again FROM analytics_jobs WHERE "
                + JobStore.READY
                + " AND job_type = ANY (?) AND (dispatched_at IS NULL OR dispatched_at < now() - make_interval(secs => ?))"
                + " ORDER BY priority, run_after LIMIT ? FOR UPDATE SKIP LOCKED) n WHERE j.job_id = n.job_id"
                + " RETURNING j.job_id, j.job_type, j.priority, n.again")) {
            s.setArray(1, JobStore.textArray(c, types));
            s.setDouble(2, JobStore.seconds(settings.visibilityTimeout()));
            s.setInt(3, limit);
            List<Hint> out = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(new Hint(r.getObject(1, UUID.class), r.getString(2), r.getInt(3), r.getBoolean(4)));
                }
            }
            return out;
        }
    }

    /** Marks a job just pushed to Redis by its enqueuer, so it is not pushed again before the visibility timeout. */
    void markDispatched(UUID id) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement s = c.prepareStatement(
                "UPDATE analytics_jobs SET dispatched_at = now() WHERE job_id = ?")) {
            s.setObject(1, id);
            s.executeUpdate();
        }
    }
}
