package io.trackedge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.jobs.testing.CountingRollUp;
import io.trackedge.jobs.testing.JobsDatabase;
import io.trackedge.jobs.testing.TestClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The scheduler: once across nodes, every closed period once, and the periods missed while all nodes were down. */
class SchedulerIT {

    private static final Duration DELAY = Duration.ofMinutes(5);
    @RegisterExtension
    static final JobsDatabase pg = new JobsDatabase();
    private JobRegistry registry;
    private JobStore store;

    @BeforeEach
    void empty() throws Exception {
        pg.reset();
        registry = JobRegistry.builder()
                .add(new CountingRollUp("hourly_metrics", "r"), 25, Granularity.HOUR)
                .add(new CountingRollUp("daily_aggregate", "r"), 50, Granularity.DAY)
                .add(new CountingRollUp("billing_calculate", "r"), 100, Granularity.WEEK, Granularity.MONTH)
                .add(new CountingRollUp("by_hand_only", "r"), 75)
                .build();
        store = new JobStore(pg.db.dataSource(), JobSettings.defaults());
    }

    private Scheduler scheduler(TestClock clock, String node) {
        return new Scheduler(pg.db.dataSource(), registry, store, clock, DELAY, node);
    }

    private static List<String> jobs() throws Exception {
        return pg.test.rows("SELECT job_type || ' ' || granularity || ':' || to_char(period_start AT TIME ZONE 'UTC',"
                + " 'YYYY-MM-DD\"T\"HH24') FROM analytics_jobs ORDER BY granularity, period_start, job_type");
    }

    /**
     * A job of a period that ran before the period closed (enqueued by hand) counted part of it: when
     * the scheduler enqueues the period it queues that job again instead of finding it done. One that
     * finished once the period's late events were in (its end plus the delay) is left alone.
     */
    @Test
    void aJobThatRanBeforeItsPeriodClosedIsQueuedAgainAtTheClose() throws Exception {
        TestClock clock = new TestClock(Instant.parse("2026-12-01T22:30:00Z"));
        Scheduler node = scheduler(clock, "node-1");
        node.tick(); // the cursor: 21:00 is the last closed hour
        Period open = Period.of(Granularity.HOUR, Instant.parse("2026-12-01T22:00:00Z"));
        JobStore.Enqueued early = store.enqueue("hourly_metrics", 25, open, null);
        finish(early.jobId(), "2026-12-01T22:30:30Z", "2026-12-01T22:31:00Z");
        clock.set(Instant.parse("2026-12-01T23:05:00Z"));
        List<JobStore.Enqueued> made = node.tick();
        assertEquals(List.of(early.jobId()), made.stream().map(JobStore.Enqueued::jobId).toList());
        assertEquals(List.of("queued"), pg.test.rows("SELECT status FROM analytics_jobs WHERE job_id = '" + early.jobId() + "'"));

        // started once the period's late events were in (its end plus the delay): done
        finish(early.jobId(), "2026-12-01T23:05:30Z", "2026-12-01T23:06:00Z");
        try (java.sql.Connection c = pg.db.dataSource().getConnection()) {
            assertEquals(false, store.requeueIfRunBefore(c, early.jobId(), open.end().plus(DELAY)));
            // ran after the close but before the delay had passed: its late events were not in yet
            finish(early.jobId(), "2026-12-01T23:01:00Z", "2026-12-01T23:02:00Z");
            assertEquals(true, store.requeueIfRunBefore(c, early.jobId(), open.end().plus(DELAY)));
            // started before the close and finished after it, seen only once completed: it read part of the period
            finish(early.jobId(), "2026-12-01T22:31:00Z", "2026-12-01T23:06:00Z");
            assertEquals(true, store.requeueIfRunBefore(c, early.jobId(), open.end().plus(DELAY)));
        }
    }

    /**
     * The same job still running when the scheduler reaches its period: it read the period before the
     * close, so it is flagged and queued again when it completes. Before, it completed with its part
     * of the period, and nothing queued it again.
     */
    @Test
    void aJobStillRunningFromBeforeItsPeriodClosedRunsAgainWhenItCompletes() throws Exception {
        TestClock clock = new TestClock(Instant.parse("2026-12-01T22:30:00Z"));
        Scheduler node = scheduler(clock, "node-1");
        node.tick();
        Period open = Period.of(Granularity.HOUR, Instant.parse("2026-12-01T22:00:00Z"));
        JobStore.Enqueued early = store.enqueue("hourly_metrics", 25, open, null);
        Job claimed = store.claim(early.jobId(), "r-1", registry.names());
        assertTrue(claimed != null, "claimed");
        try (java.sql.Connection c = pg.db.dataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE analytics_jobs SET started_at = '2026-12-01T22:31:00Z' WHERE job_id = '" + early.jobId() + "'");
        }
        clock.set(Instant.parse("2026-12-01T23:05:00Z"));
        assertEquals(List.of(), node.tick(), "nothing to dispatch while it runs");
        assertEquals(List.of("running|t"), pg.test.rows("SELECT status, rerun_requested FROM analytics_jobs WHERE job_id = '"
                + early.jobId() + "'"));
        try (java.sql.Connection c = pg.db.dataSource().getConnection()) {
            assertEquals(JobStore.Completion.REQUEUED, store.complete(c, claimed));
        }
        assertEquals(List.of("queued|0"), pg.test.rows("SELECT status, attempts FROM analytics_jobs WHERE job_id = '"
                + early.jobId() + "'"), "queued again by its completion");

        // one claimed after the period's events were in read them all: left alone
        Job again = store.claim(early.jobId(), "r-1", registry.names());
        try (java.sql.Connection c = pg.db.dataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE analytics_jobs SET started_at = '2026-12-01T23:06:00Z' WHERE job_id = '" + early.jobId() + "'");
            assertEquals(false, store.requeueIfRunBefore(c, again.jobId(), open.end().plus(DELAY)), "started after the due time: it read the whole period");
        }
        assertEquals(List.of("running|f"), pg.test.rows("SELECT status, rerun_requested FROM analytics_jobs WHERE job_id = '"
                + early.jobId() + "'"));
    }

    /**
     * A node whose clock runs two hours ahead of PostgreSQL's schedules by the database's: no period is
     * enqueued before it has closed there (the sinks mark late events by the database's clock, and the
     * shared cursor would have moved past the period's last minutes).
     */
    @Test
    void aNodeWhoseClockRunsAheadSchedulesNoPeriodBeforeItClosesByTheDatabasesClock() throws Exception {
        TestClock ahead = new TestClock(Instant.now().plus(Duration.ofHours(2)));
        Scheduler node = new Scheduler(pg.db.dataSource(), registry, store, ahead, true, DELAY, "node-ahead", new JobStats());
        assertTrue(node.tick().size() > 0, "the last closed periods");
        assertEquals(List.of("0"), pg.test.rows("SELECT count(*) FROM analytics_jobs WHERE period_end > now()"),
                "nothing still open by the database's clock: " + jobs());
    }

    private static void finish(java.util.UUID job, String startedAt, String finishedAt) throws Exception {
        try (java.sql.Connection c = pg.db.dataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE analytics_jobs SET status = 'completed', started_at = '" + startedAt + "', finished_at = '"
                    + finishedAt + "' WHERE job_id = '" + job + "'");
        }
    }

    @Test
    void allNodesDownAcrossADayBoundaryThenEveryMissedPeriodIsEnqueuedOnce() throws Exception {
        TestClock clock = new TestClock(Instant.parse("2026-12-01T22:30:00Z"));
        Scheduler node = scheduler(clock, "node-1");
        assertEquals(4, node.tick().size(), "first start: the last closed period of each granularity");
        assertEquals(List.of("daily_aggregate day:2026-11-30T00", "hourly_metrics hour:2026-12-01T21",
                "billing_calculate month:2026-11-01T00", "billing_calculate week:2026-11-23T00"), jobs());
        assertEquals(0, node.tick().size(), "nothing new within the same hour");

        clock.set(Instant.parse("2026-12-01T23:04:59Z"));
        assertEquals(0, node.tick().size(), "22:00 closed, but the delay has not passed");
        clock.set(Instant.parse("2026-12-01T23:05:00Z"));
        assertEquals(1, node.tick().size(), "22:00 is due");

        // Every node is down from 23:05 until 02:10 two days later; the first one back catches up.
        clock.set(Instant.parse("2026-12-03T02:10:00Z"));
        List<JobStore.Enqueued> caughtUp = scheduler(clock, "node-2").tick();
        long hours = pg.count("SELECT count(*) FROM analytics_jobs WHERE granularity = 'hour'");
        assertEquals(2 + 27, hours, "21:00 and 22:00 on the 1st, then 23:00 on the 1st to 01:00 on the 3rd");
        assertEquals(List.of("2026-11-30", "2026-12-01", "2026-12-02"),
                pg.test.rows("SELECT period_start::date FROM analytics_jobs WHERE granularity = 'day' ORDER BY 1"));
        assertEquals(27 + 2, caughtUp.size(), "27 hours and 2 days missed");
        assertEquals(0, pg.count("SELECT count(*) FROM analytics_jobs WHERE job_type = 'by_hand_only'"));
        assertEquals("2026-12-03 01:00:00+00|node-2", pg.test.rows("SELECT last_period_start AT TIME ZONE 'UTC' || '+00',"
                + " updated_by FROM analytics_job_schedule WHERE granularity = 'hour'").get(0).replace(".0", ""));

        // Each missed period then runs once.
        try (JobRunner runner = new JobRunner("r", store, registry, null, null, JobSettings.defaults(), new JobStats())) {
            assertEquals(jobs().size(), runner.drain());
        }
        assertEquals(0, pg.count("SELECT count(*) FROM (SELECT job_type, period_start FROM test_job_runs GROUP BY 1, 2"
                + " HAVING count(*) <> 1) d"));
        assertEquals(jobs().size(), pg.count("SELECT count(*) FROM test_job_runs"));
    }

    @Test
    void weeksAndMonthsAreEnqueuedWhenTheyClose() throws Exception {
        TestClock clock = new TestClock(Instant.parse("2026-12-27T12:00:00Z")); // a Sunday
        Scheduler node = scheduler(clock, "n");
        node.tick();
        pg.reset();
        try (var c = pg.db.dataSource().getConnection(); var s = c.createStatement()) {
            s.execute("INSERT INTO analytics_job_schedule VALUES ('week', '2026-12-14', 'n'), ('month', '2026-11-01', 'n'),"
                    + " ('day', '2026-12-26', 'n'), ('hour', '2026-12-27 11:00', 'n')");
        }
        clock.set(Instant.parse("2027-01-01T00:05:00Z"));
        node.tick();
        assertEquals(List.of("billing_calculate month:2026-12-01T00", "billing_calculate week:2026-12-21T00"),
                pg.test.rows("SELECT job_type || ' ' || granularity || ':' || to_char(period_start AT TIME ZONE 'UTC',"
                        + " 'YYYY-MM-DD\"T\"HH24') FROM analytics_jobs WHERE job_type = 'billing_calculate' ORDER BY 1"));
    }

    @Test
    void nodesTickingAtOnceEnqueueEachPeriodOnce() throws Exception {
        TestClock clock = new TestClock(Instant.parse("2026-12-01T22:30:00Z"));
        scheduler(clock, "seed").tick();
        clock.set(Instant.parse("2026-12-04T03:00:00Z"));
        int nodes = 6;
        ExecutorService pool = Executors.newFixedThreadPool(nodes);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Integer>> made = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            Scheduler s = scheduler(clock, "node-" + i);
            made.add(pool.submit(() -> {
                go.await();
                int n = 0;
                for (int k = 0; k < 5; k++) {
                    n += s.tick().size();
                }
                return n;
            }));
        }
        go.countDown();
        int total = 0;
        for (Future<Integer> f : made) {
            total += f.get();
        }
        pool.shutdown();
        long expected = 52 + 3; // hours 22:00 on the 1st to 01:00 on the 4th (02:00 closes at 03:00), days the 1st to the 3rd
        assertEquals(expected, total, "every period enqueued by exactly one tick");
        assertEquals(expected + 4, pg.count("SELECT count(*) FROM analytics_jobs"));
        assertTrue(pg.count("SELECT count(*) FROM analytics_job_schedule") == 4);
    }
}
