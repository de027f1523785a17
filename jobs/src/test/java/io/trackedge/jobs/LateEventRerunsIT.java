package io.trackedge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.jobs.testing.CountingRollUp;
import io.trackedge.jobs.testing.JobsDatabase;
import io.trackedge.jobs.testing.TestClock;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The scheduler's side of late events: an hour the sink marked in {@code analytics_late_hours}
 * makes the roll-ups of every due period holding it run again (or for the first time), once the
 * mark is the schedule delay old; a job that started after the last late batch is left alone, a
 * running one keeps the mark until it is done, and housekeeping jobs are not re-run.
 */
class LateEventRerunsIT {

    private static final Duration DELAY = Duration.ofMinutes(5);
    private static JobsDatabase pg;
    private Scheduler scheduler;
    private TestClock clock;

    @BeforeAll
    static void database() throws Exception {
        pg = JobsDatabase.create();
    }

    @AfterAll
    static void drop() throws Exception {
        pg.close();
    }

    @BeforeEach
    void empty() throws Exception {
        pg.reset();
        JobRegistry registry = JobRegistry.builder()
                .add(new CountingRollUp("hourly_metrics", "r"), 25, Granularity.HOUR)
                .add(new CountingRollUp("daily_aggregate", "r"), 50, Granularity.DAY)
                .add(new CountingRollUp("billing_calculate", "r"), 100, Granularity.MONTH)
                .add(new CountingRollUp("by_hand_only", "r"), 75)
                .add(new RetentionJob(0), 100, Granularity.DAY)
                .build();
        clock = new TestClock(Instant.parse("2026-12-02T10:30:00Z"));
        scheduler = new Scheduler(pg.db.dataSource(), registry, new JobStore(pg.db.dataSource(), JobSettings.defaults()),
                clock, DELAY, "node-1");
        scheduler.tick(); // the cursors: hour 09:00 of the 2nd, the 1st, November
        sql("UPDATE analytics_jobs SET status = 'completed', started_at = '2026-12-02T10:26:00Z',"
                + " finished_at = '2026-12-02T10:27:00Z'");
    }

    private static void sql(String statement) throws Exception {
        try (Connection c = pg.db.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    private static void mark(String hour, String first, String last) throws Exception {
        sql("INSERT INTO analytics_late_hours VALUES ('" + hour + "', '" + first + "', '" + last + "')");
    }

    private static List<String> queued() throws Exception {
        return pg.test.rows("SELECT job_type || ' ' || granularity || ':' || to_char(period_start AT TIME ZONE 'UTC',"
                + " 'YYYY-MM-DD\"T\"HH24') FROM analytics_jobs WHERE status = 'queued' ORDER BY granularity, period_start, job_type");
    }

    private static long marks() throws Exception {
        return pg.count("SELECT count(*) FROM analytics_late_hours");
    }

    @Test
    void aLateHourRerunsTheRollUpsOfEveryDuePeriodHoldingItOnceTheMarkIsTheDelayOld() throws Exception {
        assertEquals(List.of(), queued());
        mark("2026-12-01T08:00:00Z", "2026-12-02T10:29:00Z", "2026-12-02T10:29:30Z");

        clock.set(Instant.parse("2026-12-02T10:33:00Z"));
        assertEquals(0, scheduler.tick().size(), "late events of a burst gather for the delay");
        assertEquals(1, marks());

        clock.set(Instant.parse("2026-12-02T10:34:00Z"));
        assertEquals(2, scheduler.tick().size());
        // The hour had no job (older than the first schedule): enqueued. The day's completed before
        // the late batch: queued again. The retention job of that day counts no events; November is
        // not the month (December is open).
        assertEquals(List.of("daily_aggregate day:2026-12-01T00", "hourly_metrics hour:2026-12-01T08"), queued());
        assertEquals(0, marks());
        assertEquals(List.of("completed"), pg.test.rows("SELECT status FROM analytics_jobs WHERE job_type = 'retention'"));

        try (JobRunner runner = new JobRunner("r", new JobStore(pg.db.dataSource(), JobSettings.defaults()),
                JobRegistry.builder().add(new CountingRollUp("hourly_metrics", "r"), 25).add(new CountingRollUp("daily_aggregate", "r"), 50)
                        .build(), null, null, JobSettings.defaults(), new JobStats())) {
            assertEquals(2, runner.drain());
        }
        assertEquals(List.of("daily_aggregate 2026-12-01", "hourly_metrics 2026-12-01 08"), pg.test.rows("SELECT job_type || ' '"
                + " || to_char(period_start AT TIME ZONE 'UTC', CASE WHEN job_type = 'hourly_metrics' THEN 'YYYY-MM-DD HH24'"
                + " ELSE 'YYYY-MM-DD' END) FROM test_job_runs ORDER BY 1"));
        assertEquals(0, scheduler.tick().size(), "once");
    }

    @Test
    void aJobThatStartedAfterTheLastLateBatchHasReadItAndIsLeftAlone() throws Exception {
        // the day's job started at 10:26, more than the commit margin after the last batch marked 09:00
        mark("2026-12-01T09:00:00Z", "2026-12-02T10:20:00Z", "2026-12-02T10:24:59Z");
        clock.set(Instant.parse("2026-12-02T10:40:00Z"));
        assertEquals(1, scheduler.tick().size());
        assertEquals(List.of("hourly_metrics hour:2026-12-01T09"), queued());
        assertEquals(0, marks());
    }

    @Test
    void aRunningJobThatMayHaveReadBeforeTheLateBatchKeepsTheMarkUntilItIsDone() throws Exception {
        sql("UPDATE analytics_jobs SET status = 'running', runner = 'r', lease_until = now() + interval '1 minute', finished_at = NULL"
                + " WHERE job_type = 'daily_aggregate'");
        mark("2026-12-01T23:00:00Z", "2026-12-02T10:25:00Z", "2026-12-02T10:26:30Z");
        clock.set(Instant.parse("2026-12-02T10:40:00Z"));
        scheduler.tick();
        assertEquals(List.of("hourly_metrics hour:2026-12-01T23"), queued());
        assertEquals(1, marks(), "the day's job is running: it may have read before the late batch");
        assertEquals(0, scheduler.tick().size());

        sql("UPDATE analytics_jobs SET status = 'completed', finished_at = '2026-12-02T10:41:00Z' WHERE job_type = 'daily_aggregate'");
        assertEquals(1, scheduler.tick().size());
        assertEquals(List.of("daily_aggregate day:2026-12-01T00", "hourly_metrics hour:2026-12-01T23"), queued());
        assertEquals(0, marks());
    }

    @Test
    void periodsNotDueYetAreLeftToTheirScheduledRun() throws Exception {
        // 08:00 of the 2nd is due; the 2nd itself and December are not: their runs come after this mark
        mark("2026-12-02T08:00:00Z", "2026-12-02T10:20:00Z", "2026-12-02T10:20:00Z");
        clock.set(Instant.parse("2026-12-02T10:30:00Z"));
        assertEquals(1, scheduler.tick().size());
        assertEquals(List.of("hourly_metrics hour:2026-12-02T08"), queued());
        assertEquals(0, pg.count("SELECT count(*) FROM analytics_jobs WHERE period_start >= '2026-12-02' AND granularity <> 'hour'"));
        assertEquals(0, marks());
    }

    @Test
    void aMonthOfBackfillIsTakenInBoundedTicks() throws Exception {
        sql("INSERT INTO analytics_late_hours SELECT h, '2026-12-02T10:00:00Z', '2026-12-02T10:28:00Z'"
                + " FROM generate_series('2026-11-01T00:00:00Z'::timestamptz, '2026-11-30T23:00:00Z', interval '1 hour') h");
        int rounds = 0;
        while (marks() > 0) {
            scheduler.tick();
            rounds++;
        }
        assertEquals((720 + LateEventReruns.MAX_HOURS_PER_TICK - 1) / LateEventReruns.MAX_HOURS_PER_TICK, rounds);
        assertEquals(720, pg.count("SELECT count(*) FROM analytics_jobs WHERE job_type = 'hourly_metrics' AND status = 'queued'"));
        // every day of November had no job yet; November's bill had run, but started (10:26) before the
        // last late batch (10:28), so it runs again
        assertEquals(30, pg.count("SELECT count(*) FROM analytics_jobs WHERE job_type = 'daily_aggregate' AND status = 'queued'"));
        assertEquals(1, pg.count("SELECT count(*) FROM analytics_jobs WHERE job_type = 'billing_calculate' AND status = 'queued'"));
    }
}
