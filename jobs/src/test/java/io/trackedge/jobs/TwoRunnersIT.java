package io.trackedge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.jobs.testing.CountingRollUp;
import io.trackedge.jobs.testing.JobsDatabase;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.OwnedRedis;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Fault: several runners, one job: it runs once, whether claims come from PostgreSQL or from (repeated) Redis hints. */
class TwoRunnersIT {

    private static final String TYPE = "daily_aggregate";
    private static final JobSettings SETTINGS = JobSettings.defaults().withVisibilityTimeout(Duration.ofSeconds(2))
            .withSweepInterval(Duration.ofMillis(200)).withMaxIdle(Duration.ofMillis(20));
    @RegisterExtension
    static final JobsDatabase pg = new JobsDatabase();
    private static OwnedRedis redis;
    private final List<RunnerThread> threads = new ArrayList<>();
    private final List<JobRunner> runners = new ArrayList<>();

    @BeforeAll
    static void services() throws Exception {
        redis = OwnedRedis.start();
    }

    @AfterAll
    static void drop() throws Exception {
        redis.close();
    }

    @BeforeEach
    void empty() throws Exception {
        pg.reset();
        redis.flushAll();
    }

    @AfterEach
    void stop() throws Exception {
        for (RunnerThread t : threads) {
            t.stop(Duration.ofSeconds(5));
        }
    }

    private JobRunner runner(String name, boolean withRedis, Duration pause) {
        JobRegistry registry = JobRegistry.builder().add(new CountingRollUp(TYPE, name, pause, 0), 50).build();
        RedisHints hints = withRedis ? new RedisHints(redis.url(), "t:") : null;
        JobRunner r = new JobRunner(name, new JobStore(pg.db.dataSource(), SETTINGS), registry, null, hints, SETTINGS,
                new JobStats());
        runners.add(r);
        return r;
    }

    private void start(JobRunner r) {
        threads.add(new RunnerThread(r, SETTINGS).start());
    }

    @Test
    void twoRunnersClaimingFromPostgresRunOneJobOnce() throws Exception {
        JobRunner a = runner("a", false, Duration.ofMillis(300));
        JobRunner b = runner("b", false, Duration.ofMillis(300));
        start(a);
        start(b);
        a.enqueue(TYPE, Period.dayOf(Instant.parse("2026-11-30T00:00:00Z")), null);
        Await.until("the job completes", Duration.ofSeconds(30),
                () -> pg.count("SELECT count(*) FROM analytics_jobs WHERE status = 'completed'") == 1);
        assertEquals(1, pg.count("SELECT count(*) FROM test_job_runs"));
        assertEquals(1, pg.count("SELECT attempts FROM analytics_jobs"));
        assertEquals(1, a.stats().claimed.get() + b.stats().claimed.get());
    }

    @Test
    void twoRunnersPoppingRepeatedRedisHintsRunOneJobOnce() throws Exception {
        JobRunner a = runner("a", true, Duration.ofMillis(300));
        JobRunner b = runner("b", true, Duration.ofMillis(300));
        JobStore.Enqueued job = a.enqueue(TYPE, Period.dayOf(Instant.parse("2026-11-29T00:00:00Z")), null);
        // The same hint three times over, as after a re-dispatch racing a slow claim.
        RedisHints extra = new RedisHints(redis.url(), "t:");
        extra.push(job.jobId(), 50);
        extra.push(job.jobId(), 50);
        extra.close();
        start(a);
        start(b);
        Await.until("the job completes and every hint is consumed", Duration.ofSeconds(30),
                () -> pg.count("SELECT count(*) FROM analytics_jobs WHERE status = 'completed'") == 1
                        && "0".equals(redis.command("LLEN t:ready:50").substring(1)));
        // The last hint may be popped but its claim not yet answered: wait for both repeats to be judged stale.
        Await.until("both repeated hints found stale", Duration.ofSeconds(30),
                () -> a.stats().staleHints.get() + b.stats().staleHints.get() == 2);
        assertEquals(1, pg.count("SELECT count(*) FROM test_job_runs"));
        assertEquals(1, a.stats().claimedFromRedis.get() + b.stats().claimedFromRedis.get());
    }

    @Test
    void threeRunnersAndManyJobsRunEachJobOnce() throws Exception {
        List<JobRunner> rs = List.of(runner("a", true, Duration.ofMillis(5)), runner("b", true, Duration.ofMillis(5)),
                runner("c", false, Duration.ofMillis(5)));
        rs.forEach(this::start);
        Instant t = Instant.parse("2026-11-01T00:00:00Z");
        int jobs = 60;
        for (int i = 0; i < jobs; i++) {
            rs.get(i % 2).enqueue(TYPE, Period.dayOf(t.plus(Duration.ofDays(i))), null);
        }
        Await.until("every job completes", Duration.ofSeconds(60),
                () -> pg.count("SELECT count(*) FROM analytics_jobs WHERE status = 'completed'") == jobs);
        assertEquals(jobs, pg.count("SELECT count(*) FROM test_job_runs"));
        assertEquals(jobs, pg.count("SELECT count(DISTINCT period_start) FROM test_job_runs"));
        long ranBy = pg.count("SELECT count(DISTINCT runner) FROM test_job_runs");
        assertTrue(ranBy >= 2, "the work was shared, ran by " + ranBy + " runner(s)");
    }
}
