package io.trackedge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.jobs.testing.CountingRollUp;
import io.trackedge.jobs.testing.JobsDatabase;
import io.trackedge.jobs.testing.TestClock;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The scheduler's side of late hours (sql/V28): an hour of today the sink marked in {@code
 * analytics_late_hours} runs the hour jobs of the types whose rows are per hour, for that hour and
 * each later hour of its day that has begun, where their claim did not see the marking transaction;
 * a type whose hour jobs recount the day so far is left to its next hour's job.
 * Jobs are claimed and completed by a real runner, so their claim snapshots are real.
 */
class LateHourRerunsIT {

    private static final Duration DELAY = Duration.ofMinutes(5);
    @RegisterExtension
    static final JobsDatabase pg = new JobsDatabase();
    private JobStore store;
    private Scheduler scheduler;
    private TestClock clock;
    private JobRegistry registry;

    @BeforeEach
    void ranBeforeTheLateEvents() throws Exception {
        pg.reset();
        registry = JobRegistry.builder()
                .add(CountingRollUp.perHour("hourly_rows", "r"), 25, Granularity.HOUR, Granularity.DAY)
                .add(new CountingRollUp("day_so_far", "r"), 50, Granularity.HOUR, Granularity.DAY)
                .add(new CountingRollUp("daily_aggregate", "r"), 50, Granularity.DAY)
                .build();
        store = new JobStore(pg.db.dataSource(), JobSettings.defaults());
        clock = new TestClock(Instant.parse("2026-12-02T10:30:00Z"));
        scheduler = new Scheduler(pg.db.dataSource(), registry, store, clock, DELAY, "node-1");
        assertEquals(5, scheduler.tick().size(), "hour 09:00 of the 2nd (2 types), the 1st (3 types)");
        drain();
    }

    private void drain() throws Exception {
        try (JobRunner runner = new JobRunner("r", store, registry, null, null, JobSettings.defaults(), new JobStats())) {
            runner.drain();
        }
    }

    /** A batch's mark, in a transaction of its own (so with an id no earlier claim saw), at a time of the test's clock. */
    private static void mark(String hour, String at) throws Exception {
        try (Connection c = pg.db.dataSource().getConnection();
             PreparedStatement s = c.prepareStatement("INSERT INTO analytics_late_hours (hour, marked_at) VALUES (?, ?)")) {
            s.setTimestamp(1, Timestamp.from(Instant.parse(hour)));
            s.setTimestamp(2, Timestamp.from(Instant.parse(at)));
            s.executeUpdate();
        }
    }

    private static List<String> queued() throws Exception {
        return pg.test.rows("SELECT job_type || ' ' || granularity || ':' || to_char(period_start AT TIME ZONE 'UTC',"
                + " 'YYYY-MM-DD\"T\"HH24') FROM analytics_jobs WHERE status = 'queued' ORDER BY period_start, job_type");
    }

    @Test
    void aLateHourRunsItsAndTheLaterHoursJobsOfThePerHourTypesOnceTheMarkIsTheDelayOld() throws Exception {
        mark("2026-12-02T07:00:00Z", "2026-12-02T10:31:00Z"); // a bounce of 07:10, reported at 10:31

        clock.set(Instant.parse("2026-12-02T10:35:00Z"));
        assertEquals(0, scheduler.tick().size(), "late events of a burst gather for the delay");

        clock.set(Instant.parse("2026-12-02T10:36:00Z"));
        // 07:00 and 08:00 had no job (the schedule began at 09:00), 09:00 ran before the batch; 10:00 is still open
        assertEquals(3, scheduler.tick().size());
        assertEquals(List.of("hourly_rows hour:2026-12-02T07", "hourly_rows hour:2026-12-02T08", "hourly_rows hour:2026-12-02T09"),
                queued(), "day_so_far's 11:00 job recounts the whole day; daily_aggregate has no hours");
        assertEquals(0, pg.count("SELECT count(*) FROM analytics_late_hours"));

        drain();
        assertEquals(4, pg.count("SELECT count(*) FROM test_job_runs WHERE job_type = 'hourly_rows'"
                + " AND period_start >= '2026-12-02T07:00:00Z'"), "07:00 and 08:00 once, 09:00 again");
        assertEquals(0, scheduler.tick().size(), "once");
    }

    /**
     * Every hour's first batches carry the last hour's events, so every hour gets a mark: it settles in
     * the tick that enqueues that hour's job, finds it queued, and adds nothing.
     */
    @Test
    void theLastHoursEventsInTheFirstBatchesOfTheNextHourAddNoJob() throws Exception {
        clock.set(Instant.parse("2026-12-02T11:00:01Z"));
        assertEquals(0, scheduler.tick().size(), "10:00 is not due before 11:05");
        mark("2026-12-02T10:00:00Z", "2026-12-02T11:00:01Z"); // a batch one second into 11:00

        clock.set(Instant.parse("2026-12-02T11:05:01Z"));
        assertEquals(2, scheduler.tick().size(), "10:00's scheduled jobs, one per type scheduled hourly, and nothing more");
        assertEquals(List.of("day_so_far hour:2026-12-02T10", "hourly_rows hour:2026-12-02T10"), queued());
        assertEquals(0, pg.count("SELECT count(*) FROM analytics_late_hours"), "the mark is taken");
    }

    @Test
    void anHourJobClaimedAfterTheBatchCommittedSawItAndIsLeftAlone() throws Exception {
        mark("2026-12-02T09:00:00Z", "2026-12-02T10:31:00Z");
        UUID nine = UUID.fromString(pg.test.rows("SELECT job_id FROM analytics_jobs WHERE job_type = 'hourly_rows'"
                + " AND granularity = 'hour'").get(0));
        store.retry(nine);
        drain(); // claimed after the mark committed
        clock.set(Instant.parse("2026-12-02T10:40:00Z"));
        assertEquals(0, scheduler.tick().size());
        assertEquals(List.of(), queued());
        assertEquals(0, pg.count("SELECT count(*) FROM analytics_late_hours"), "the mark is taken all the same");
    }
}
