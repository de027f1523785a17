package io.trackedge.jobs;

import io.trackedge.db.Transaction;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enqueues the scheduled work of every closed period, once across all edges. Every runner calls
 * {@link #tick} each sweep; a transaction-scoped advisory lock lets one of them in at a time, and
 * the cursor in {@code analytics_job_schedule} (the last period enqueued per granularity) makes the
 * others find nothing left to do. A period is due {@code delay} after it closes. After an outage of
 * every node the next tick enqueues each period missed, oldest first (at most
 * {@value #MAX_PERIODS_PER_TICK} per granularity per tick, so a long outage is caught up over a few
 * ticks in bounded transactions). With no cursor yet, scheduling starts at the last closed period.
 * Then, in a transaction of its own under the same lock, the periods that received events after
 * they closed run again ({@link LateEventReruns}).
 */
public final class Scheduler {

    private static final Logger log = LoggerFactory.getLogger(Scheduler.class);
    /** The advisory lock key: "trackedge.jobs.scheduler" as a number, so nothing else picks it by chance. */
    static final long LOCK_KEY = 0x7472_6b65_6a62_7363L;
    static final int MAX_PERIODS_PER_TICK = 1000;

    private final DataSource ds;
    private final JobRegistry registry;
    private final JobStore store;
    private final Clock clock;
    private final Duration delay;
    private final String name;
    private final LateEventReruns late;
    private final JobStats stats;
    private final boolean boundByDatabase;

    /** A scheduler whose clock alone says the time (a test's, which may be set anywhere). */
    public Scheduler(DataSource ds, JobRegistry registry, JobStore store, Clock clock, Duration delay, String name) {
        this(ds, registry, store, clock, false, delay, name, new JobStats());
    }

    /**
     * @param boundByDatabase whether PostgreSQL's clock bounds {@code clock} (as {@code serve} runs it): a
     *     node's clock that runs ahead then schedules nothing early
     * @param stats where its failures are counted: the runner's, shown in {@code /metrics}
     */
    public Scheduler(DataSource ds, JobRegistry registry, JobStore store, Clock clock, boolean boundByDatabase, Duration delay,
                     String name, JobStats stats) {
        this.boundByDatabase = boundByDatabase;
        this.stats = stats;
        this.ds = ds;
        this.registry = registry;
        this.store = store;
        this.clock = clock;
        this.delay = delay;
        this.name = name;
        this.late = new LateEventReruns(registry, store, delay);
    }

    /** Enqueues what is due; returns the jobs this tick created (for the caller to hint in Redis). */
    public List<JobStore.Enqueued> tick() throws SQLException {
        List<JobStore.Enqueued> made = new ArrayList<>(locked(this::enqueueDue));
        // A transaction of its own (the same lock, so never beside another node's schedule, whose
        // inserts it could deadlock with): a failure leaves the schedule committed and the marks in
        // place for the next tick, and is not the schedule's failure.
        try {
            made.addAll(locked(c -> late.rerun(c, now(c))));
        } catch (SQLException e) {
            // Counted: failing every sweep (a permission, a migration missing on one cluster), the closed
            // days that late events landed in would never be recounted, with a log line as the only sign.
            stats.lateRerunFailures.incrementAndGet();
            log.warn("scheduler {}: late events' re-runs failed, retried next sweep: {}", name, e.toString());
        }
        return made;
    }

    private interface Step {
        List<JobStore.Enqueued> run(Connection c) throws SQLException;
    }

    /** Runs {@code step} in a transaction holding the scheduler's advisory lock, or nothing when another node holds it. */
    private List<JobStore.Enqueued> locked(Step step) throws SQLException {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try {
                List<JobStore.Enqueued> made = locked(c) ? step.run(c) : List.of();
                c.commit();
                return made;
            } catch (SQLException | RuntimeException e) {
                Transaction.rollbackAfter(c, e);
                throw e;
            }
        }
    }

    private static boolean locked(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT pg_try_advisory_xact_lock(" + LOCK_KEY + ")")) {
            r.next();
            return r.getBoolean(1);
        }
    }

    /**
     * This node's clock, or PostgreSQL's when that is behind: a node whose clock ran ahead by more than
     * the schedule delay enqueued periods before they had closed by the database's clock, which is the
     * one the sinks mark late events by, and the shared cursor moved past them (their last minutes
     * then counted by nobody). A clock behind the database's only schedules later.
     */
    private Instant now(Connection c) throws SQLException {
        Instant mine = clock.instant();
        if (!boundByDatabase) {
            return mine;
        }
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT statement_timestamp()")) {
            r.next();
            Instant database = r.getTimestamp(1).toInstant();
            return database.isBefore(mine) ? database : mine;
        }
    }

    private List<JobStore.Enqueued> enqueueDue(Connection c) throws SQLException {
        Instant horizon = now(c).minus(delay);
        List<JobStore.Enqueued> made = new ArrayList<>();
        for (Granularity g : Granularity.values()) {
            List<JobRegistry.JobType> types = registry.scheduledFor(g);
            if (types.isEmpty()) {
                continue;
            }
            Instant cursor = cursor(c, g);
            Period p = cursor == null ? lastClosed(g, horizon) : Period.of(g, cursor).next();
            Period last = null;
            for (int n = 0; n < MAX_PERIODS_PER_TICK && !p.end().isAfter(horizon); n++, p = p.next()) {
                for (JobRegistry.JobType t : types) {
                    JobStore.Enqueued e = store.enqueue(c, t.name(), t.priority(), p, null);
                    if (e.created()) {
                        made.add(e);
                    } else if (store.requeueIfRunBefore(c, e.jobId(), p.end().plus(delay))) {
                        // it ran before the period closed, or before its late events (the delay) were in
                        made.add(new JobStore.Enqueued(e.jobId(), e.priority(), true));
                    }
                }
                last = p;
            }
            if (last != null) {
                saveCursor(c, g, last.start());
            }
        }
        return made;
    }

    private static Period lastClosed(Granularity g, Instant horizon) {
        return Period.of(g, g.floor(horizon).minusNanos(1));
    }

    private static Instant cursor(Connection c, Granularity g) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT last_period_start FROM analytics_job_schedule WHERE granularity = ? FOR UPDATE")) {
            s.setString(1, g.label());
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? r.getTimestamp(1).toInstant() : null;
            }
        }
    }

    private void saveCursor(Connection c, Granularity g, Instant start) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO analytics_job_schedule (granularity, last_period_start, updated_by)"
                + " VALUES (?, ?, ?) ON CONFLICT (granularity) DO UPDATE SET last_period_start = excluded.last_period_start,"
                + " updated_by = excluded.updated_by, updated_at = now()")) {
            s.setString(1, g.label());
            s.setTimestamp(2, Timestamp.from(start));
            s.setString(3, name);
            s.executeUpdate();
        }
    }
}
