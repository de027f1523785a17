package io.trackedge.jobs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.jobs.testing.CountingRollUp;
import io.trackedge.jobs.testing.JobsDatabase;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.OwnedRedis;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A schedule that fails on every sweep (a trigger refuses the jobs it enqueues) does not stop the
 * rest of the runner: with Redis up, a job waiting in the table is still hinted and run. Before, the
 * failing schedule ended each sweep before its hints, and a runner with Redis up claims only what
 * Redis hints, so nothing ran until the schedule mended.
 */
class SchedulerFailureIT {

    private static final String SCHEDULED = "scheduled_hourly";
    private static final String WAITING = "hourly_metrics";
    private static final JobSettings SETTINGS = JobSettings.defaults().withSweepInterval(Duration.ofMillis(100))
            .withMaxIdle(Duration.ofMillis(20));

    @RegisterExtension
    static final JobsDatabase pg = new JobsDatabase();
    private OwnedRedis redis;

    @BeforeEach
    void services() throws Exception {
        pg.reset();
        redis = OwnedRedis.start();
    }

    @AfterEach
    void stop() throws Exception {
        try (Connection c = pg.db.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("DROP TRIGGER IF EXISTS refuse_scheduled ON analytics_jobs");
        }
        redis.close();
    }

    @Test
    void aJobWaitingInTheTableRunsWhileTheScheduleFailsEverySweep() throws Exception {
        try (Connection c = pg.db.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE OR REPLACE FUNCTION refuse_scheduled() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                    + " IF NEW.job_type = '" + SCHEDULED + "' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$");
            s.execute("CREATE TRIGGER refuse_scheduled BEFORE INSERT ON analytics_jobs FOR EACH ROW EXECUTE FUNCTION refuse_scheduled()");
        }
        JobRegistry registry = JobRegistry.builder()
                .add(new CountingRollUp(SCHEDULED, "r", Duration.ZERO, 0), 25, Granularity.HOUR)
                .add(new CountingRollUp(WAITING, "r", Duration.ZERO, 0), 25).build();
        JobStore store = new JobStore(pg.db.dataSource(), SETTINGS);
        // In the table only, as a retry or `jobs enqueue` from another process leaves it: no hint in Redis yet.
        store.enqueue(WAITING, 25, Period.hourOf(Instant.parse("2026-11-30T00:00:00Z")), null);
        JobStats stats = new JobStats();
        JobRunner runner = new JobRunner("r", store, registry,
                new Scheduler(pg.db.dataSource(), registry, store, Clock.systemUTC(), Duration.ZERO, "r"),
                new RedisHints(redis.url(), "t:"), SETTINGS, stats);
        try (RunnerThread thread = new RunnerThread(runner, SETTINGS).start()) {
            Await.until("the waiting job completed", Duration.ofSeconds(30),
                    () -> pg.count("SELECT count(*) FROM analytics_jobs WHERE job_type = '" + WAITING + "' AND status = 'completed'") == 1);
            assertTrue(stats.loopErrors.get() > 0, "the schedule kept failing: " + stats.lastError);
            assertTrue(stats.lastError.contains("refused by the test"), stats.lastError);
        }
    }
}
