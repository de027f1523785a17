package io.trackedge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.trackedge.jobs.testing.CountingRollUp;
import io.trackedge.jobs.testing.JobsDatabase;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.OwnedRedis;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Jobs queued as backfill (a tenant move's recounts: {@link JobRegistry#BACKFILL} over their type's
 * priority) wait for every ready job at the type's own priority, through Redis and from PostgreSQL:
 * jobs of a period just closed, queued after a backfill began, run before the rest of it.
 */
class BackfillPriorityIT {

    private static final String TYPE = "hourly_metrics";
    private static final int PRIORITY = 25;
    private static final JobSettings SETTINGS = JobSettings.defaults().withVisibilityTimeout(Duration.ofSeconds(30))
            .withSweepInterval(Duration.ofMillis(100)).withMaxIdle(Duration.ofMillis(20));
    private static final Instant T0 = Instant.parse("2026-11-30T00:00:00Z");
    @RegisterExtension
    static final JobsDatabase pg = new JobsDatabase();
    private OwnedRedis redis;
    private RunnerThread thread;

    @BeforeEach
    void services() throws Exception {
        pg.reset();
        redis = OwnedRedis.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (thread != null) {
            thread.stop(Duration.ofSeconds(5));
        }
        redis.close();
    }

    @Test
    void jobsOfPeriodsJustClosedOvertakeABackfillThroughRedis() throws Exception {
        jobsOfPeriodsJustClosedOvertakeABackfill(new RedisHints(redis.url(), "t:"));
    }

    @Test
    void jobsOfPeriodsJustClosedOvertakeABackfillFromPostgres() throws Exception {
        jobsOfPeriodsJustClosedOvertakeABackfill(null);
    }

    private void jobsOfPeriodsJustClosedOvertakeABackfill(RedisHints hints) throws Exception {
        CountingRollUp counting = new CountingRollUp(TYPE, "a", Duration.ZERO, 0);
        CountDownLatch closedQueued = new CountDownLatch(1);
        // The backfill's first job holds the one runner until the closed periods' jobs are queued.
        RollUp heldFirst = new RollUp() {
            @Override
            public String jobType() {
                return TYPE;
            }

            @Override
            public void run(java.sql.Connection c, Period period, java.util.UUID tenant) throws java.sql.SQLException {
                try {
                    closedQueued.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                counting.run(c, period, tenant);
            }
        };
        JobRegistry registry = JobRegistry.builder().add(heldFirst, PRIORITY).build();
        JobStore store = new JobStore(pg.db.dataSource(), SETTINGS);
        JobRunner runner = new JobRunner("a", store, registry, null, hints, SETTINGS, new JobStats());
        for (int h = 0; h < 6; h++) {
            store.enqueue(TYPE, PRIORITY + JobRegistry.BACKFILL, Period.hourOf(T0.plus(Duration.ofHours(h))), null);
        }
        thread = new RunnerThread(runner, SETTINGS).start();
        Await.until("the backfill's first job running (and, with Redis, every job of it hinted)", Duration.ofSeconds(30),
                () -> pg.count("SELECT count(*) FROM analytics_jobs WHERE status = 'running'") == 1
                        && (hints == null || pg.count("SELECT count(*) FROM analytics_jobs WHERE dispatched_at IS NULL") == 0));
        for (int h = 100; h < 103; h++) {
            runner.enqueue(TYPE, Period.hourOf(T0.plus(Duration.ofHours(h))), null);
        }
        closedQueued.countDown();
        Await.until("every job run", Duration.ofSeconds(60), () -> pg.count("SELECT count(*) FROM test_job_runs") == 9);
        List<String> order = pg.test.rows("SELECT CASE WHEN period_start >= '" + T0.plus(Duration.ofHours(100))
                + "' THEN 'closed' ELSE 'backfill' END FROM test_job_runs ORDER BY ran_at");
        assertEquals(List.of("backfill", "closed", "closed", "closed", "backfill", "backfill", "backfill", "backfill", "backfill"),
                order, "the one running, then the closed periods', then the rest of the backfill");
        assertEquals(3, pg.count("SELECT count(*) FROM analytics_jobs WHERE priority = " + PRIORITY));
        assertEquals(6, pg.count("SELECT count(*) FROM analytics_jobs WHERE priority = " + (PRIORITY + JobRegistry.BACKFILL)));
    }

    @Test
    void aTypesOwnPriorityIsBelowTheBackfills() {
        assertThrows(IllegalArgumentException.class, () -> JobRegistry.builder()
                .add(new CountingRollUp(TYPE, "a", Duration.ZERO, 0), JobRegistry.BACKFILL));
        JobRegistry r = JobRegistry.builder().add(new CountingRollUp(TYPE, "a", Duration.ZERO, 0), PRIORITY).build();
        assertEquals(List.of(PRIORITY, PRIORITY + JobRegistry.BACKFILL), r.priorities());
        assertEquals(PRIORITY, r.hintPriority(TYPE, 99), "a row of a renumbered type: the type's priority now");
        assertEquals(PRIORITY + JobRegistry.BACKFILL, r.hintPriority(TYPE, 75 + JobRegistry.BACKFILL));
    }
}
