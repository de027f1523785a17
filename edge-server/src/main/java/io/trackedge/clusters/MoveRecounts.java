package io.trackedge.clusters;

import io.trackedge.jobs.Granularity;
import io.trackedge.jobs.JobRegistry;
import io.trackedge.jobs.JobStore;
import io.trackedge.jobs.Period;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The roll-ups a move makes stale in the destination, queued there for the moved tenant alone, in
 * the move's transaction: each day holding raw rows of the tenant in either cluster (where its rows
 * now meet, and where an email opened in one cluster and again in the other has its first open on
 * another day than either counted), the job of every roll-up that counts events and of the daily
 * reconciliation, and each ended month's of those scheduled monthly, as backfill ({@link JobRegistry#BACKFILL}:
 * after every ready job of a period just closed); and the tenant's jobs the source had queued, failed
 * or dead, which the move deletes there, at their type's priority. Days whose raw rows retention dropped
 * keep the roll-up rows copied ({@link MoveGuards#noDroppedDays} refuses when both clusters have them).
 */
final class MoveRecounts {

    static final String RECONCILIATION = "daily_reconcile";

    private final JobRegistry registry;
    private final JobStore store;

    MoveRecounts(JobRegistry registry, JobStore store) {
        this.registry = registry;
        this.store = store;
    }

    /** The UTC days holding raw rows of {@code tenant} (events, warm-up interactions) in {@code c}. */
    static Set<LocalDate> daysWithRows(Connection c, UUID tenant) throws SQLException {
        Set<LocalDate> days = new TreeSet<>();
        try (PreparedStatement s = c.prepareStatement("""
                SELECT DISTINCT (occurred_at AT TIME ZONE 'UTC')::date FROM email_event_rows WHERE tenant_id = ?
                UNION SELECT DISTINCT (interaction_at AT TIME ZONE 'UTC')::date FROM warmup_interactions WHERE tenant_id = ?""")) {
            s.setObject(1, tenant);
            s.setObject(2, tenant);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    days.add(r.getObject(1, LocalDate.class));
                }
            }
        }
        return days;
    }

    /** Queues on {@code destination} the tenant's jobs that {@code source} had not run, which the move deletes there. */
    List<String> carry(Connection source, Connection destination, UUID tenant) throws SQLException {
        List<String> queued = new ArrayList<>();
        try (PreparedStatement s = source.prepareStatement("SELECT job_type, granularity, period_start, priority FROM analytics_jobs"
                + " WHERE tenant_id = ? AND status IN ('queued', 'failed', 'dead') ORDER BY period_start, job_type")) {
            s.setObject(1, tenant);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    JobRegistry.JobType t = registry.type(r.getString(1));
                    if (t != null) {
                        // at its type's priority now, a backfill (an earlier move's recount) still one
                        int priority = t.priority() + (r.getInt(4) >= JobRegistry.BACKFILL ? JobRegistry.BACKFILL : 0);
                        queued.add(queue(destination, t, priority, Period.of(Granularity.parse(r.getString(2)),
                                r.getTimestamp(3).toInstant()), tenant));
                    }
                }
            }
        }
        return queued;
    }

    /** Queues, on {@code destination} (in its transaction), the recounts of {@code days} for {@code tenant}; returns them. */
    List<String> queue(Connection destination, UUID tenant, Set<LocalDate> days, Instant now) throws SQLException {
        List<String> queued = new ArrayList<>();
        Set<YearMonth> months = new TreeSet<>();
        for (LocalDate d : days) {
            months.add(YearMonth.from(d));
        }
        for (JobRegistry.JobType t : registry.all()) {
            // A tenant's whole history, thousands of jobs for a year: after every job of the periods
            // just closed, so the other tenants' live numbers are not held behind it.
            int backfill = t.priority() + JobRegistry.BACKFILL;
            // Retention and compaction work on every tenant's partitions at once. The reconciliation
            // counts no events for the roll-ups, but it repairs daily_analytics' unique counts: each
            // cluster counted the first opens and clicks it saw, and the move added the two.
            if (!t.rollUp().countsEvents() && !t.name().equals(RECONCILIATION)) {
                continue;
            }
            if (t.schedule().contains(Granularity.DAY)) {
                for (LocalDate d : days) {
                    queued.add(queue(destination, t, backfill, Period.dayOf(d), tenant));
                }
            }
            if (t.schedule().contains(Granularity.MONTH)) {
                for (YearMonth m : months) {
                    Period p = Period.monthOf(m);
                    if (!p.end().isAfter(now)) { // a month not ended is closed by its scheduled run, which comes later
                        queued.add(queue(destination, t, backfill, p, tenant));
                    }
                }
            }
        }
        return queued;
    }

    private String queue(Connection c, JobRegistry.JobType t, int priority, Period p, UUID tenant) throws SQLException {
        JobStore.Enqueued e = store.enqueue(c, t.name(), priority, p, tenant);
        if (!e.created()) {
            store.rerun(c, e.jobId());
        }
        return t.name() + " " + p;
    }
}
