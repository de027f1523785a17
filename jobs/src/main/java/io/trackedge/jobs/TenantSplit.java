package io.trackedge.jobs;

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
 * attempt: before, one tenant's bad row left the period's numbers stale for every tenant (V32's rate
 * overflow did so to the daily reconciliation). Here the every-tenant job is completed, with the
 * split in its {@code last_error}, in the transaction that queues (or queues again) a job of the same
 * type and period for each tenant with events in it; the tenants whose numbers compute get them, and
 * the one at fault fails, retries and ends dead on its own, named in {@code trackedge jobs list} and
 * the dead-jobs alert. Housekeeping (retention, compaction) is not split.
 */
final class TenantSplit {

    private final JobStore store;

    TenantSplit(JobStore store) {
        this.store = store;
    }

    /** Whether {@code failure} of {@code job} is one to split: an every-tenant job that counts events, failed on data. */
    static boolean applies(Job job, RollUp rollUp, Throwable failure) {
        return job.tenant() == null && rollUp.countsEvents() && dataError(failure);
    }

    /** An SQLException of class 22 or 23 among the causes: what the rows hold is refused. */
    static boolean dataError(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException q && q.getSQLState() != null
                    && (q.getSQLState().startsWith("22") || q.getSQLState().startsWith("23"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Splits {@code job}, whose run failed with {@code error}.
     *
     * @return the tenant jobs queued; 0 when no tenant has events in the period (nothing is done: the
     *     job fails as any other); -1 when the claim was lost (nothing is done)
     */
    int split(Job job, String error) throws SQLException {
        try (Connection c = store.dataSource().getConnection()) {
            c.setAutoCommit(false);
            try {
                List<UUID> tenants = tenantsWithEvents(c, job.period());
                if (tenants.isEmpty()) {
                    c.rollback();
                    return 0;
                }
                // In tenant order: two nodes splitting the same period lock the same rows in one order.
                for (UUID tenant : tenants) {
                    JobStore.Enqueued q = store.enqueue(c, job.type(), job.priority(), job.period(), tenant);
                    if (!q.created()) {
                        store.rerun(c, q.jobId()); // a tenant job of an earlier split, done or dead: it runs again
                    }
                }
                if (store.complete(c, job) == JobStore.Completion.LOST) {
                    c.rollback();
                    return -1;
                }
                try (PreparedStatement s = c.prepareStatement("UPDATE analytics_jobs SET last_error = ? WHERE job_id = ?")) {
                    s.setString(1, JobStore.truncated("split into " + tenants.size() + " tenant jobs after a data error: " + error));
                    s.setObject(2, job.jobId());
                    s.executeUpdate();
                }
                c.commit();
                return tenants.size();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
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
