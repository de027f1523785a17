package io.trackedge.jobs;

import io.trackedge.db.SqlStates;
import io.trackedge.db.Transaction;
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
 * An every-tenant job that one tenant's data fails, split into one job per tenant. A roll-up failing
 * on data (SQLState class 22, a value out of range; 23, a constraint) fails the same way on every
 * attempt and, unsplit, leaves every tenant's numbers of the period stale, as V32's rate overflow did
 * to the daily reconciliation. Here the every-tenant job is completed, with the split in its {@code last_error}, in the transaction that queues (or queues again) a job of the same
 * type and period for each tenant with events in it; the tenants whose numbers compute get them, and
 * the one at fault fails, retries and ends dead on its own, named in {@code trackedge jobs list} and
 * the dead-jobs alert. Only roll-ups whose rows come from the period's events alone split
 * ({@link RollUp#splitsByTenant}: the campaign, mailbox, lead and step tables); the others fail as before.
 */
final class TenantSplit {

    /** How a split job's {@code last_error} begins: the split is known by it (here, and in {@link JobRows#outcome}). */
    static final String NOTE = "split into ";

    private final JobStore store;
    private final int longWaitMillis;

    /** @param longWaitMillis how long its statements may wait on the server: a month's events are read for a month's job */
    TenantSplit(JobStore store, int longWaitMillis) {
        this.store = store;
        this.longWaitMillis = longWaitMillis;
    }

    /** Whether {@code failure} of {@code job} is one to split: an every-tenant job of a roll-up that allows it, failed on data. */
    static boolean applies(Job job, RollUp rollUp, Throwable failure) {
        return job.tenant() == null && rollUp.splitsByTenant() && dataError(failure);
    }

    /** An SQLException of class 22 or 23 among the causes: what the rows hold is refused. */
    static boolean dataError(Throwable failure) {
        return SqlStates.hasDataError(failure);
    }

    /**
     * Splits {@code job}, whose run failed with {@code error}.
     *
     * @return the tenant jobs queued; 0 when no tenant has events in the period, or when the type's
     *     previous split failed for every tenant (nothing is done: the job fails as any other); -1 when
     *     the claim was lost (nothing is done)
     */
    int split(Job job, String error) throws SQLException {
        try (Connection c = store.dataSource().getConnection()) {
            c.setNetworkTimeout(Runnable::run, longWaitMillis);
            c.setAutoCommit(false);
            try {
                List<UUID> tenants = tenantsWithEvents(c, job.period());
                if (tenants.isEmpty() || previousSplitFailedEverywhere(c, job)) {
                    c.rollback();
                    return 0;
                }
                for (UUID tenant : tenants) {
                    JobStore.Enqueued q = store.enqueue(c, job.type(), job.priority(), job.period(), tenant);
                    if (!q.created() && ranBefore(c, q.jobId())) {
                        store.rerun(c, q.jobId());
                    }
                }
                if (store.complete(c, job) == JobStore.Completion.LOST) {
                    c.rollback();
                    return -1;
                }
                try (PreparedStatement s = c.prepareStatement("UPDATE analytics_jobs SET last_error = ? WHERE job_id = ?")) {
                    s.setString(1, JobStore.truncated(NOTE + tenants.size() + " tenant jobs after a data error: " + error));
                    s.setObject(2, job.jobId());
                    s.executeUpdate();
                }
                c.commit();
                return tenants.size();
            } catch (SQLException | RuntimeException e) {
                Transaction.rollbackAfter(c, e);
                throw e;
            }
        }
    }

    /**
     * Whether the latest earlier split of the job's type and granularity left every tenant job dead (one
     * still retrying does not count): every tenant's failed, so the data error is not one tenant's (a constraint a
     * migration added that the roll-up's SQL breaks for all), and splitting again would only make a
     * job per tenant fail, retry and die in every period (a thousand tenants, a thousand dead jobs an
     * hour). The job then fails as it is: one dead job a period, and the alert.
     */
    static boolean previousSplitFailedEverywhere(Connection c, Job job) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("WITH last AS (SELECT period_start FROM analytics_jobs"
                + " WHERE job_type = ? AND granularity = ? AND tenant_id IS NULL AND job_id <> ? AND status = 'completed'"
                + " AND last_error LIKE '" + NOTE + "%' ORDER BY finished_at DESC LIMIT 1)"
                + " SELECT count(*), count(*) FILTER (WHERE j.status = 'dead') FROM analytics_jobs j, last"
                + " WHERE j.job_type = ? AND j.granularity = ? AND j.period_start = last.period_start AND j.tenant_id IS NOT NULL")) {
            s.setString(1, job.type());
            s.setString(2, job.period().granularity().label());
            s.setObject(3, job.jobId());
            s.setString(4, job.type());
            s.setString(5, job.period().granularity().label());
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1) > 1 && r.getLong(2) == r.getLong(1);
            }
        }
    }

    /**
     * Whether a tenant job of an earlier split completed (or runs now), so must count again. A failed
     * or dead one is left as it is: the tenant at fault keeps one dead job, and its alert, until
     * {@code trackedge jobs retry}, rather than being revived, to die again, at each split.
     */
    private static boolean ranBefore(Connection c, UUID job) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT status FROM analytics_jobs WHERE job_id = ? FOR UPDATE")) {
            s.setObject(1, job);
            try (ResultSet r = s.executeQuery()) {
                return r.next() && (r.getString(1).equals("completed") || r.getString(1).equals("running"));
            }
        }
    }

    /**
     * The tenants with events in {@code period}; for an hour's job, in its day so far, as the hour jobs
     * that recount the day so far count them.
     */
    private static List<UUID> tenantsWithEvents(Connection c, Period period) throws SQLException {
        Instant from = period.granularity() == Granularity.HOUR ? Granularity.DAY.floor(period.start()) : period.start();
        List<UUID> out = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT DISTINCT tenant_id FROM email_events"
                + " WHERE occurred_at >= ? AND occurred_at < ? ORDER BY tenant_id")) {
            s.setTimestamp(1, Timestamp.from(from));
            s.setTimestamp(2, Timestamp.from(period.end()));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(r.getObject(1, UUID.class));
                }
            }
        }
        return out;
    }
}
