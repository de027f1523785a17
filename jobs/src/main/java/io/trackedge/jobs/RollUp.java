package io.trackedge.jobs;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.UUID;

/**
 * One kind of roll-up: recomputes everything it owns for one period (and tenant, or all tenants
 * when null), idempotently, inside the caller's transaction.
 *
 * <p>The runner opens the transaction, calls {@link #run}, and commits only if the job is still
 * its own (its claim on the {@code analytics_jobs} row holds). Running the same period twice must
 * leave the same rows: recompute and replace, never add to what is there.
 */
public interface RollUp {

    /** The {@code analytics_jobs.job_type} this roll-up answers, e.g. {@code "daily_aggregate"}. */
    String jobType();

    /** Recomputes the period for one tenant, or every tenant when {@code tenantOrNull} is null. */
    void run(Connection c, Period period, UUID tenantOrNull) throws SQLException;

    /**
     * Whether the result depends on the period's events, so that events landing after the period
     * closed make it run again ({@code LateEventReruns}). Housekeeping (retention, compaction) says no.
     */
    default boolean countsEvents() {
        return true;
    }

    /**
     * Whether an every-tenant run that fails on one tenant's data may be split into a run per tenant
     * with events in the period ({@code TenantSplit}): only where those tenants are all the tenants the
     * run writes rows of, so that the split leaves no failing row unnamed.
     */
    default boolean splitsByTenant() {
        return false;
    }

    /**
     * Whether its rows are per hour and an hour's job recounts only its hour, so that events landing
     * in an hour of today after its job ran make that hour's job (and the later hours') run again
     * ({@code analytics_late_hours}, sql/V28). A roll-up whose hour jobs recount the whole day so far
     * says no: its next hour's job sees them.
     */
    default boolean rowsPerHour() {
        return false;
    }
}
