package io.trackedge.jobs.rollup;

import io.trackedge.jobs.Period;
import io.trackedge.jobs.RollUp;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.UUID;

/**
 * Every roll-up of this package, for the job registry. Each recomputes what it owns for a period
 * from the raw tables in the caller's READ COMMITTED transaction, serialized per unit
 * ({@link PeriodLock}), so running it again, or twice at once, leaves the same rows.
 *
 * <table>
 *   <caption>The roll-ups</caption>
 *   <tr><th>job type</th><th>fills</th><th>unit recomputed</th><th>suggested schedule</th></tr>
 *   <tr><td>campaign_analytics</td><td>campaign_analytics</td><td>UTC day</td><td>day (and hour for today)</td></tr>
 *   <tr><td>mailbox_analytics</td><td>mailbox_analytics</td><td>UTC day</td><td>day (and hour)</td></tr>
 *   <tr><td>lead_analytics</td><td>lead_analytics</td><td>UTC day</td><td>day</td></tr>
 *   <tr><td>sequence_step_analytics</td><td>sequence_step_analytics</td><td>UTC day</td><td>day</td></tr>
 *   <tr><td>warmup_analytics</td><td>warmup_analytics, warmup_daily_stats.reputation_score</td><td>UTC day</td><td>day</td></tr>
 *   <tr><td>billing_analytics</td><td>billing_days, billing_analytics</td><td>UTC day, then its calendar month</td><td>day (month to date) and month</td></tr>
 *   <tr><td>daily_reconcile</td><td>daily_analytics (repairs), rollup_reconciliations</td><td>UTC day</td><td>day</td></tr>
 *   <tr><td>stats_hourly</td><td>stats_hourly (per UTC hour)</td><td>UTC hour (an hour's job), UTC day</td><td>hour and day</td></tr>
 *   <tr><td>link_clicks_hourly</td><td>link_clicks_hourly (per UTC hour)</td><td>UTC hour (an hour's job), UTC day</td><td>hour and day</td></tr>
 *   <tr><td>automation_hourly</td><td>automation_hourly (per UTC hour)</td><td>UTC hour (an hour's job), UTC day</td><td>hour and day</td></tr>
 * </table>
 */
public final class RollUps {

    private RollUps() {
    }

    /** The roll-ups, one per job type, in the order above. */
    public static List<RollUp> all() {
        return List.of(EmailMetricsRollUp.campaigns(), EmailMetricsRollUp.mailboxes(), EmailMetricsRollUp.leads(),
                EmailMetricsRollUp.sequenceSteps(), new WarmupRollUp(), new BillingRollUp(), new DailyReconciliation(),
                HourlyRollUp.stats(), HourlyRollUp.links(), HourlyRollUp.automation());
    }

    /**
     * Takes, in {@code c}'s READ COMMITTED transaction, every lock a job of each roll-up recounting
     * {@code days} for {@code tenant} alone would take, in the order its jobs take them. For a writer of
     * the tenant's roll-up rows other than a job (a tenant move): it takes them before it writes
     * anything, so a job recounting those days waits for it, or it for the job, where the two
     * inserting the same keys in different orders could deadlock. Held until the transaction ends.
     */
    public static void lockDays(Connection c, UUID tenant, SortedSet<LocalDate> days) throws SQLException {
        PeriodLock.requireTransaction(c);
        for (RollUp r : all()) {
            if (!(r instanceof DayUnits perDay)) {
                throw new IllegalStateException(r.jobType() + " names no unit of a day: its jobs could not be held off");
            }
            Set<String> units = new LinkedHashSet<>(); // ascending: the days are
            for (LocalDate day : days) {
                units.add(perDay.unit(day));
            }
            for (String unit : units) {
                PeriodLock.lock(c, unit, tenant);
            }
        }
    }

    /** The daily reconciliation, for callers that want its reports rather than a job. */
    public static DailyReconciliation reconciliation() {
        return new DailyReconciliation();
    }

    /**
     * Runs {@code rollUp} in a transaction of its own on {@code c} and commits it (for tools, tests
     * and benchmarks; the job runner opens its own transaction). Rolls back and rethrows on failure.
     */
    public static void runCommitted(Connection c, RollUp rollUp, Period period, UUID tenantOrNull) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            rollUp.run(c, period, tenantOrNull);
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }
}
