package io.trackedge.jobs.rollup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.jobs.Granularity;
import io.trackedge.jobs.JobRegistry;
import io.trackedge.jobs.JobRunner;
import io.trackedge.jobs.JobSettings;
import io.trackedge.jobs.JobStats;
import io.trackedge.jobs.JobStore;
import io.trackedge.jobs.Period;
import io.trackedge.jobs.RollUp;
import io.trackedge.jobs.Scheduler;
import io.trackedge.jobs.testing.JobsDatabase;
import io.trackedge.jobs.testing.TestClock;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The first night after a day closes, its warm-up job has no row and no job yet: the scheduler has not
 * enqueued it. A mailbox re-run of an earlier day of its week (late hard bounces) marked a later day only
 * when that day held a score or a job not completed, so it left this one unmarked; the scheduler then
 * enqueued it and a runner claimed and completed it before the re-run committed, scoring the mailbox
 * from the earlier day's old row, and nothing ran it again. A day is marked when no job of its own
 * has completed ({@link HealthScore#replaceDayMarkingWeekAfter}), and the scheduler's late-event
 * re-runs queue again the job whose claim did not see the mark. Jobs are claimed and completed by a
 * real runner, so their claim snapshots are real.
 */
class WarmupMarkBeforeItsJobIT {

    private static final UUID TENANT = UUID.fromString("73737373-7373-4737-8737-737373737373");
    private static final UUID USER = UUID.fromString("33333333-3333-4333-8333-333333333333");
    private static final Duration DELAY = Duration.ofSeconds(1);

    @RegisterExtension
    static final JobsDatabase pg = new JobsDatabase();

    @Test
    void aJobClaimedBeforeTheReRunCommitsIsQueuedAgain() throws Exception {
        LocalDate today = HealthScore.todayUtc();
        LocalDate yesterday = today.minusDays(1); // closed: the scheduler is about to enqueue it
        LocalDate bounced = yesterday.minusDays(3);
        RollUp mailboxes = rollUp(EmailMetricsRollUp.MAILBOX_JOB_TYPE);
        RollUp warmup = rollUp(WarmupRollUp.JOB_TYPE);
        // Daily alone: the hourly mailbox jobs of yesterday would have written its row, which the marks find anyway.
        JobRegistry registry = JobRegistry.builder().add(mailboxes, 50, Granularity.DAY).add(warmup, 50, Granularity.DAY).build();
        JobStore store = new JobStore(pg.db.dataSource(), JobSettings.defaults());
        TestClock clock = new TestClock(Instant.now());
        Scheduler scheduler = new Scheduler(pg.db.dataSource(), registry, store, clock, DELAY, "node-1");
        try (Connection c = pg.db.dataSource().getConnection(); Statement s = c.createStatement()) {
            for (LocalDate day = bounced; !day.isAfter(yesterday); day = day.plusDays(1)) {
                s.execute(events(day, "sent", 100, null));
            }
            s.execute(events(yesterday, "warmup_open", 5, null));
            // The schedule has enqueued yesterday already (below, by hand): its own ticks enqueue nothing.
            s.execute("INSERT INTO analytics_job_schedule (granularity, last_period_start, updated_by) VALUES ('day', '"
                    + yesterday + "T00:00:00Z', 'test')");
        }
        for (LocalDate day = bounced; day.isBefore(yesterday); day = day.plusDays(1)) {
            for (RollUp r : List.of(mailboxes, warmup)) {
                store.enqueue(r.jobType(), 50, Period.dayOf(day), null);
            }
            drain(store, registry);
        }
        try (Connection c = pg.db.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("DELETE FROM analytics_late_days"); // each first run's marks of the days after it, which ran after
            s.execute(events(bounced, "bounced", 10, "{\"bounce_type\": \"hard\"}")); // late, committed
        }

        try (Connection rerun = pg.db.dataSource().getConnection()) {
            rerun.setAutoCommit(false);
            mailboxes.run(rerun, Period.dayOf(bounced), null); // the bounces' day's re-run, its marks decided
            // Before it commits, the scheduler enqueues yesterday and a runner claims and completes its jobs,
            // which read the bounces' day as it was.
            for (RollUp r : List.of(mailboxes, warmup)) {
                store.enqueue(r.jobType(), 50, Period.dayOf(yesterday), null);
            }
            drain(store, registry);
            assertEquals(List.of(yesterday + " 80"), pg.test.rows("SELECT date || ' ' || health_score FROM warmup_analytics"),
                    "scored without the bounces: a warm-up open without a reply, -20");
            rerun.commit();
        }

        clock.set(Instant.now().plus(DELAY).plusSeconds(1)); // the marks are the schedule delay old
        scheduler.tick();
        assertEquals(List.of("mailbox_analytics queued", "warmup_analytics queued"), pg.test.rows("SELECT job_type || ' ' || status"
                + " FROM analytics_jobs WHERE period_start = '" + yesterday + "T00:00:00Z' ORDER BY job_type"),
                "yesterday's jobs were claimed before the re-run committed: queued again");
        drain(store, registry);
        assertEquals(List.of(yesterday + " 70"), pg.test.rows("SELECT date || ' ' || health_score FROM warmup_analytics"),
                "10 hard bounces in 400 outcomes over the week, -10; the warm-up open without a reply, -20");
        assertEquals(List.of(yesterday + " 70"), pg.test.rows("SELECT date || ' ' || health_score FROM mailbox_analytics"
                + " WHERE date = '" + yesterday + "'"));
    }

    private static RollUp rollUp(String type) {
        return RollUps.all().stream().filter(r -> r.jobType().equals(type)).findFirst().orElseThrow();
    }

    private static void drain(JobStore store, JobRegistry registry) throws Exception {
        try (JobRunner runner = new JobRunner("r", store, registry, null, null, JobSettings.defaults(), new JobStats())) {
            runner.drain();
        }
    }

    private static String events(LocalDate day, String type, int count, String attributes) {
        return "INSERT INTO email_events (occurred_at, tenant_id, event_id, user_id, edge_no, event_type, campaign_id, mailbox_id,"
                + " email_id, attributes) SELECT '" + day + "T10:00:00Z'::timestamptz + g * interval '1 second', '" + TENANT
                + "', gen_random_uuid(), '" + USER + "', 1, '" + type + "', 'camp', 'box@example.com', 'e' || g, "
                + (attributes == null ? "NULL" : "'" + attributes + "'") + "::jsonb FROM generate_series(1, " + count + ") g";
    }
}
