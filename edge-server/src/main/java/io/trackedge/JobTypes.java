package io.trackedge;

import io.trackedge.config.EdgeConfig;
import io.trackedge.jobs.CompactionJob;
import io.trackedge.jobs.Granularity;
import io.trackedge.jobs.JobRegistry;
import io.trackedge.jobs.JobSettings;
import io.trackedge.jobs.RetentionJob;
import io.trackedge.jobs.RollUp;
import io.trackedge.jobs.rollup.RollUps;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The job types this edge runs, wired by hand: each roll-up with its priority (lower runs first;
 * the product document's daily 50, campaign 75, billing 100) and the periods the scheduler
 * enqueues it for. {@code serve} and {@code trackedge jobs} build the same registry.
 */
public final class JobTypes {

    /** Priority and schedule per job type of {@link RollUps#all()}. */
    private record Plan(int priority, Granularity... schedule) {
    }

    private static final Map<String, Plan> PLANS = Map.of(
            // Hourly as well as daily, so that today's campaign and mailbox numbers are at most an hour old.
            "campaign_analytics", new Plan(75, Granularity.HOUR, Granularity.DAY),
            "mailbox_analytics", new Plan(50, Granularity.HOUR, Granularity.DAY),
            "lead_analytics", new Plan(50, Granularity.DAY),
            "sequence_step_analytics", new Plan(50, Granularity.DAY),
            "warmup_analytics", new Plan(50, Granularity.DAY),
            // Daily keeps the month to date; the monthly run closes the month.
            "billing_analytics", new Plan(100, Granularity.DAY, Granularity.MONTH),
            "daily_reconcile", new Plan(50, Granularity.DAY),
            // The stats API's tables: hourly so that today's numbers are at most an hour old.
            "stats_hourly", new Plan(50, Granularity.HOUR, Granularity.DAY),
            "link_clicks_hourly", new Plan(75, Granularity.HOUR, Granularity.DAY),
            "automation_hourly", new Plan(75, Granularity.HOUR, Granularity.DAY));

    private JobTypes() {
    }

    /** The runner settings from {@code edge.jobs}; the rest are {@link JobSettings#defaults()}. */
    public static JobSettings settings(EdgeConfig.Jobs c) {
        JobSettings d = JobSettings.defaults();
        return new JobSettings(c.visibilityTimeout(), d.sweepInterval(), c.retryBackoff(), d.maxRetryBackoff(), c.maxAttempts(),
                c.scheduleDelay(), c.stuckAfter(), d.maxIdle(), d.maxDeferrals());
    }

    /**
     * @param retentionDays {@code edge.database.retention-days}; 0 makes the retention job a no-op
     * @param ds the database the jobs run in, for the work done outside the job's transaction: the compaction's rebuilds,
     *     retention's deletion of set-aside events
     */
    public static JobRegistry registry(int retentionDays, DataSource ds) {
        JobRegistry.Builder b = JobRegistry.builder();
        for (RollUp r : RollUps.all()) {
            Plan p = PLANS.get(r.jobType());
            if (p == null) {
                throw new IllegalStateException("roll-up " + r.jobType() + " has no priority and schedule in JobTypes");
            }
            b.add(r, p.priority(), p.schedule());
        }
        b.add(new RetentionJob(retentionDays, ds), 100, Granularity.DAY);
        // After the day's roll-ups (a higher number runs later), which read the partition it rebuilds.
        b.add(new CompactionJob(ds), 110, Granularity.DAY);
        return b.build();
    }
}
