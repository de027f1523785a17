package io.trackedge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.jobs.testing.CountingRollUp;
import io.trackedge.jobs.testing.JobsDatabase;
import io.trackedge.jobs.testing.TestClock;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The scheduler's side of late events: a day the sink marked in {@code analytics_late_days} makes
 * every roll-up of the periods holding it, whose claim did not see the marking transaction, run
 * again once the mark is the schedule delay old; a due period without a job gets one; a job
 * claimed after the batch committed is left alone; a running one is queued again by its own
 * completion; housekeeping is not re-run; hour jobs are left to the day's job of the same type.
 * Jobs are claimed and completed by a real runner, so their claim snapshots are real.
 */
class LateEventRerunsIT {

    private static final Duration DELAY = Duration.ofMinutes(5);
    @RegisterExtension
    static final JobsDatabase pg = new JobsDatabase();
    private JobRegistry registry;
    private JobStore store;
    private Scheduler scheduler;
    private TestClock clock;

    @BeforeEach
    void ranBeforeTheLateEvents() throws Exception {
        pg.reset();
        registry = JobRegistry.builder()
                .add(new CountingRollUp("hourly_only", "r"), 25, Granularity.HOUR)
                .add(new CountingRollUp("daily_aggregate", "r"), 50, Granularity.DAY)
                .add(new CountingRollUp("hourly_and_daily", "r"), 50, Granularity.HOUR, Granularity.DAY)
                .add(new CountingRollUp("billing_calculate", "r"), 100, Granularity.MONTH)
                .add(new CountingRollUp("by_hand_only", "r"), 75)
                .add(new RetentionJob(0, pg.db.dataSource()), 100, Granularity.DAY)
                .build();
        store = new JobStore(pg.db.dataSource(), JobSettings.defaults());
        clock = new TestClock(Instant.parse("2026-12-02T10:30:00Z"));
        scheduler = new Scheduler(pg.db.dataSource(), registry, store, clock, DELAY, "node-1");
        assertEquals(6, scheduler.tick().size(), "hour 09:00 of the 2nd (2 types), the 1st (3 types), November");
        drain();
        assertEquals(List.of(), queued());
    }

    private void drain() throws Exception {
        try (JobRunner runner = new JobRunner("r", store, registry, null, null, JobSettings.defaults(), new JobStats())) {
            runner.drain();
        }
    }

    /** A batch's mark, in a transaction of its own (so with an id no earlier claim saw), at a time of the test's clock. */
    private static void mark(String day, String at) throws Exception {
        mark(day, at, null);
    }

    /** As {@link #mark(String, String)}, naming the one job type to re-run (an erasure's mark), or null for all. */
    private static void mark(String day, String at, String jobType) throws Exception {
        try (Connection c = pg.db.dataSource().getConnection();
             PreparedStatement s = c.prepareStatement("INSERT INTO analytics_late_days (day, marked_at, job_type) VALUES (?, ?, ?)")) {
            s.setObject(1, LocalDate.parse(day));
            s.setTimestamp(2, Timestamp.from(Instant.parse(at)));
            s.setString(3, jobType);
            s.executeUpdate();
        }
    }

    private static List<String> queued() throws Exception {
        return pg.test.rows("SELECT job_type || ' ' || granularity || ':' || to_char(period_start AT TIME ZONE 'UTC',"
                + " 'YYYY-MM-DD\"T\"HH24') FROM analytics_jobs WHERE status = 'queued' AND granularity <> 'hour'"
                + " ORDER BY granularity, period_start, job_type");
    }

    private static long count(String where) throws Exception {
        return pg.count("SELECT count(*) FROM analytics_jobs WHERE " + where);
    }

    private static long marks() throws Exception {
        return pg.count("SELECT count(*) FROM analytics_late_days");
    }

    /**
     * Re-runs that fail (here the marks' table is out of reach) leave the marks for the next tick and are
     * counted ({@code edge_jobs_late_rerun_failures_total}, which an alert watches); the schedule itself
     * goes on. Before, a log line was the only sign.
     */
    @Test
    void failingReRunsAreCountedAndTheirMarksWait() throws Exception {
        JobStats stats = new JobStats();
        Scheduler counted = new Scheduler(pg.db.dataSource(), registry, store, clock, false, DELAY, "node-1", stats);
        mark("2026-12-01", "2026-12-02T10:29:00Z");
        clock.set(Instant.parse("2026-12-02T11:05:00Z"));
        try (Connection c = pg.db.dataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
            st.execute("ALTER TABLE analytics_late_days RENAME TO analytics_late_days_away");
        }
        try {
            assertEquals(2, counted.tick().size(), "10:00's hourly jobs are scheduled all the same");
            assertEquals(1, stats.lateRerunFailures.get());
        } finally {
            try (Connection c = pg.db.dataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
                st.execute("ALTER TABLE analytics_late_days_away RENAME TO analytics_late_days");
            }
        }
        assertEquals(1, marks(), "the mark waits");
        assertEquals(2 + 24, counted.tick().size(), "re-run at the next tick");
        assertEquals(0, marks());
        assertEquals(1, stats.lateRerunFailures.get());
    }

    /**
     * An erasure's mark names one job type (sql/V36): that type's jobs of the day run again, no other;
     * beside a batch's mark of the same day, every type does, once.
     */
    @Test
    void aMarkNamingOneTypeRerunsThatTypeAlone() throws Exception {
        mark("2026-12-01", "2026-12-02T10:29:00Z", "daily_aggregate");
        clock.set(Instant.parse("2026-12-02T10:34:00Z"));
        assertEquals(1, scheduler.tick().size());
        assertEquals(List.of("daily_aggregate day:2026-12-01T00"), queued());
        assertEquals(0, count("job_type = 'hourly_only' AND status = 'queued'"), "an hourly type is not named either");
        assertEquals(0, marks());
        drain();

        mark("2026-12-01", "2026-12-02T10:35:00Z");
        mark("2026-12-01", "2026-12-02T10:35:00Z", "hourly_and_daily");
        clock.set(Instant.parse("2026-12-02T10:41:00Z"));
        assertEquals(2 + 24, scheduler.tick().size(), "the batch's mark: every type, each once");
        assertEquals(List.of("daily_aggregate day:2026-12-01T00", "hourly_and_daily day:2026-12-01T00"), queued());
        drain();

        // a type this node does not run (another version's): its mark is left for a node that does
        mark("2026-12-01", "2026-12-02T10:42:00Z", "not_registered_here");
        clock.set(Instant.parse("2026-12-02T10:48:00Z"));
        assertEquals(0, scheduler.tick().size());
        assertEquals(1, marks(), "not taken and forgotten");
    }

    @Test
    void aLateDayRerunsEveryRollUpThatDidNotSeeTheBatchOnceTheMarkIsTheDelayOld() throws Exception {
        mark("2026-12-01", "2026-12-02T10:29:00Z");
        mark("2026-12-01", "2026-12-02T10:33:30Z"); // a second batch of the burst

        clock.set(Instant.parse("2026-12-02T10:33:00Z"));
        assertEquals(0, scheduler.tick().size(), "late events of a burst gather for the delay");
        assertEquals(2, marks());

        clock.set(Instant.parse("2026-12-02T10:34:00Z"));
        // the 1st's two day jobs again, and the 24 hours of the 1st for the type scheduled hourly only
        assertEquals(2 + 24, scheduler.tick().size());
        assertEquals(List.of("daily_aggregate day:2026-12-01T00", "hourly_and_daily day:2026-12-01T00"), queued());
        assertEquals(24, count("job_type = 'hourly_only' AND status = 'queued' AND period_start >= '2026-12-01'"
                + " AND period_start < '2026-12-02'"));
        assertEquals(0, count("job_type = 'hourly_and_daily' AND granularity = 'hour' AND status = 'queued'"),
                "its day job recounts the same day");
        assertEquals(1, count("job_type = 'retention' AND status = 'completed'"), "housekeeping counts no events");
        assertEquals(0, count("job_type = 'billing_calculate' AND period_start = '2026-12-01'"), "December is not due");
        assertEquals(0, marks());

        drain();
        assertEquals(2, pg.count("SELECT count(*) FROM test_job_runs WHERE job_type = 'daily_aggregate'"));
        assertEquals(0, scheduler.tick().size(), "once");
    }

    @Test
    void aJobClaimedAfterTheBatchCommittedSawItAndIsLeftAlone() throws Exception {
        mark("2026-12-01", "2026-12-02T10:20:00Z");
        UUID daily = UUID.fromString(pg.test.rows("SELECT job_id FROM analytics_jobs WHERE job_type = 'daily_aggregate'").get(0));
        store.retry(daily);
        drain(); // claimed after the mark committed
        clock.set(Instant.parse("2026-12-02T10:40:00Z"));
        scheduler.tick();
        assertEquals(List.of("hourly_and_daily day:2026-12-01T00"), queued());
        assertEquals(1, count("job_id = '" + daily + "' AND status = 'completed'"));
    }

    @Test
    void aRunningJobThatDidNotSeeTheBatchIsQueuedAgainByItsOwnCompletion() throws Exception {
        UUID daily = UUID.fromString(pg.test.rows("SELECT job_id FROM analytics_jobs WHERE job_type = 'daily_aggregate'").get(0));
        UUID both = UUID.fromString(pg.test.rows("SELECT job_id FROM analytics_jobs WHERE job_type = 'hourly_and_daily'"
                + " AND granularity = 'day'").get(0));
        store.retry(daily);
        Job before = store.claimNext("r", List.of("daily_aggregate"));
        mark("2026-12-01", "2026-12-02T10:20:00Z");
        store.retry(both);
        Job after = store.claimNext("r", List.of("hourly_and_daily"));
        clock.set(Instant.parse("2026-12-02T10:40:00Z"));
        scheduler.tick();
        assertEquals(0, marks(), "the mark is taken; the running jobs carry it");
        assertEquals(List.of("true"), pg.test.rows("SELECT rerun_requested::text FROM analytics_jobs WHERE job_id = '" + daily + "'"));
        assertEquals(List.of("false"), pg.test.rows("SELECT rerun_requested::text FROM analytics_jobs WHERE job_id = '" + both + "'"));

        try (Connection c = pg.db.dataSource().getConnection()) {
            assertEquals(JobStore.Completion.REQUEUED, store.complete(c, before));
            assertEquals(JobStore.Completion.COMPLETED, store.complete(c, after));
        }
        assertEquals(List.of("queued|0|false"), pg.test.rows("SELECT status || '|' || attempts || '|' || rerun_requested::text"
                + " FROM analytics_jobs WHERE job_id = '" + daily + "'"), "claimed before the batch: queued again");
        assertEquals(List.of("completed"), pg.test.rows("SELECT status FROM analytics_jobs WHERE job_id = '" + both + "'"),
                "claimed after the batch: done");
    }

    /** The 1st's daily_aggregate job, claimed by {@code runner} before a late batch, and flagged by the scheduler for it. */
    private Job claimedThenFlagged(String runner) throws Exception {
        UUID daily = UUID.fromString(pg.test.rows("SELECT job_id FROM analytics_jobs WHERE job_type = 'daily_aggregate'").get(0));
        store.retry(daily);
        Job job = store.claimNext(runner, List.of("daily_aggregate"));
        mark("2026-12-01", "2026-12-02T10:20:00Z");
        clock.set(Instant.parse("2026-12-02T10:40:00Z"));
        scheduler.tick();
        assertEquals(List.of("true"), pg.test.rows("SELECT rerun_requested::text FROM analytics_jobs WHERE job_id = '" + daily + "'"));
        return job;
    }

    /** The UPDATE with which a runner of a version before V21 completed a job, word for word. */
    private static final String COMPLETION_BEFORE_V21 = "UPDATE analytics_jobs SET status = 'completed', finished_at = now(),"
            + " lease_until = NULL WHERE job_id = ? AND runner = ? AND attempts = ? AND status = 'running'";

    @Test
    void aFlaggedJobCompletedByARunnerOfTheVersionBeforeTheFlagIsQueuedAgainAllTheSame() throws Exception {
        Job old = claimedThenFlagged("old-runner");
        UUID daily = old.jobId();

        try (Connection c = pg.db.dataSource().getConnection(); PreparedStatement s = c.prepareStatement(COMPLETION_BEFORE_V21)) {
            s.setObject(1, old.jobId());
            s.setString(2, old.runner());
            s.setInt(3, old.attempt());
            assertEquals(1, s.executeUpdate(), "the old runner sees its completion succeed");
        }
        assertEquals(List.of("queued|0|false|true"), pg.test.rows("SELECT status || '|' || attempts || '|' || rerun_requested::text"
                + " || '|' || (finished_at IS NULL AND lease_until IS NULL AND dispatched_at IS NULL)::text"
                + " FROM analytics_jobs WHERE job_id = '" + daily + "'"), "queued again, as the new runner's completion does");
        drain();
        assertEquals(List.of("completed"), pg.test.rows("SELECT status FROM analytics_jobs WHERE job_id = '" + daily + "'"));
        assertEquals(2, pg.count("SELECT count(*) FROM test_job_runs WHERE job_type = 'daily_aggregate'"),
                "its first run, and the re-run the old runner's completion queued");
    }

    @Test
    void aFlaggedRunThatFailsDropsTheFlagForItsNextAttemptSeesTheBatch() throws Exception {
        Job job = claimedThenFlagged("r");
        UUID daily = job.jobId();
        assertEquals(JobStatus.FAILED, store.fail(job, "the roll-up failed"));
        assertEquals(List.of("failed|false"), pg.test.rows("SELECT status || '|' || rerun_requested::text FROM analytics_jobs"
                + " WHERE job_id = '" + daily + "'"), "a later completion, by any runner, must not queue it twice");
    }

    @Test
    void aPeriodNotDueGetsNoNewJobButACompletedOneThatMissedTheBatchRunsAgain() throws Exception {
        // December is open: by hand, a month-to-date run; then a late event of the 1st
        Period december = Period.of(Granularity.MONTH, Instant.parse("2026-12-01T00:00:00Z"));
        store.enqueue("billing_calculate", 100, december, null);
        drain();
        mark("2026-12-01", "2026-12-02T10:20:00Z");
        clock.set(Instant.parse("2026-12-02T10:40:00Z"));
        scheduler.tick();
        assertEquals(1, count("job_type = 'billing_calculate' AND period_start = '2026-12-01' AND status = 'queued'"),
                "whatever the clock says of the period, a run that missed the batch runs again");
        pg.reset();
        mark("2026-12-01", "2026-12-02T10:20:00Z");
        scheduler.tick();
        assertEquals(0, count("job_type = 'billing_calculate' AND period_start = '2026-12-01'"),
                "no job for December before it is due: its run comes later");
    }

    @Test
    void fortyDaysOfBackfillAreTakenInBoundedTicks() throws Exception {
        try (Connection c = pg.db.dataSource().getConnection(); var s = c.createStatement()) {
            s.execute("INSERT INTO analytics_late_days (day, marked_at) SELECT d::date, '2026-12-02T10:00:00Z'"
                    + " FROM generate_series('2026-10-22'::date, '2026-11-30'::date, interval '1 day') d");
        }
        int ticks = 0;
        while (marks() > 0 && ticks < 10) {
            scheduler.tick();
            ticks++;
        }
        assertEquals(0, marks());
        assertEquals((40 + LateEventReruns.MAX_DAYS_PER_TICK - 1) / LateEventReruns.MAX_DAYS_PER_TICK, ticks);
        assertEquals(40, count("job_type = 'daily_aggregate' AND status = 'queued'"), "none of these days had a job");
        assertEquals(40 * 24, count("job_type = 'hourly_only' AND status = 'queued'"));
        // October had no bill yet; November's ran before the late batches
        assertEquals(List.of("billing_calculate month:2026-10-01T00", "billing_calculate month:2026-11-01T00"),
                pg.test.rows("SELECT job_type || ' ' || granularity || ':' || to_char(period_start AT TIME ZONE 'UTC',"
                        + " 'YYYY-MM-DD\"T\"HH24') FROM analytics_jobs WHERE job_type = 'billing_calculate' AND status = 'queued'"
                        + " ORDER BY period_start"));
    }
}
