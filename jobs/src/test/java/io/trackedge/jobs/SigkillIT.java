package io.trackedge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.jobs.testing.CountingRollUp;
import io.trackedge.jobs.testing.JobsDatabase;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.OwnedRedis;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Fault: a runner (a child JVM) is killed with SIGKILL in the middle of a job. Its transaction dies
 * with it, its lease stops being renewed, and after the visibility timeout another runner takes the
 * job back and completes it: one committed run.
 */
class SigkillIT {

    private static final Duration VISIBILITY = Duration.ofSeconds(2);
    @RegisterExtension
    static final JobsDatabase pg = new JobsDatabase();
    private static OwnedRedis redis;

    @BeforeAll
    static void services() throws Exception {
        redis = OwnedRedis.start();
    }

    @AfterAll
    static void drop() throws Exception {
        redis.close();
    }

    @Test
    void aJobWhoseRunnerIsKilledIsTakenBackAfterTheVisibilityTimeoutAndCompletedOnce() throws Exception {
        JobSettings settings = JobSettings.defaults().withVisibilityTimeout(VISIBILITY)
                .withSweepInterval(Duration.ofMillis(200)).withMaxIdle(Duration.ofMillis(20));
        CountingRollUp survivorRollUp = new CountingRollUp(BlockingRunnerMain.TYPE, "survivor");
        JobRegistry registry = JobRegistry.builder().add(survivorRollUp, 50).build();
        JobRunner survivor = new JobRunner("survivor", new JobStore(pg.db.dataSource(), settings), registry, null,
                new RedisHints(redis.url(), "t:"), settings, new JobStats());
        survivor.enqueue(BlockingRunnerMain.TYPE, Period.dayOf(Instant.parse("2026-11-30T00:00:00Z")), null);

        Path log = Files.createDirectories(Path.of("target")).resolve("sigkill-child.log");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                BlockingRunnerMain.class.getName(), pg.test.jdbcUrl(), "doomed", String.valueOf(VISIBILITY.toMillis()), redis.url())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            Await.until("the child runner is mid-job (see " + log + ")", Duration.ofSeconds(30),
                    () -> pg.count("SELECT count(*) FROM analytics_jobs WHERE status = 'running' AND runner = 'doomed'") == 1
                            && Files.readString(log).contains("running day:"));
            // The child renews its lease while it runs: it holds well past one visibility timeout.
            Instant firstLease = Instant.parse(pg.test.rows("SELECT to_char(lease_until AT TIME ZONE 'UTC',"
                    + " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM analytics_jobs").get(0));
            Await.until("the child's lease is renewed", Duration.ofSeconds(30), () -> Instant.parse(pg.test.rows(
                    "SELECT to_char(lease_until AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM analytics_jobs")
                    .get(0)).isAfter(firstLease));
        } finally {
            child.destroyForcibly(); // SIGKILL on Linux
        }
        assertEquals(137, child.waitFor(), "killed by SIGKILL");
        long killedAt = System.nanoTime();

        RunnerThread thread = new RunnerThread(survivor, settings).start();
        try {
            Await.until("the job is taken back and completed", Duration.ofSeconds(30),
                    () -> pg.count("SELECT count(*) FROM analytics_jobs WHERE status = 'completed'") == 1);
        } finally {
            thread.stop(Duration.ofSeconds(5));
        }
        long tookMillis = (System.nanoTime() - killedAt) / 1_000_000;
        List<String> job = pg.test.rows("SELECT status, attempts, runner, last_error FROM analytics_jobs");
        assertTrue(job.get(0).startsWith("completed|2|survivor|lease expired on runner doomed"), job.toString());
        assertEquals(List.of("survivor"), pg.test.rows("SELECT runner FROM test_job_runs"), "one committed run, the survivor's");
        assertEquals(1, survivor.stats().completed.get());
        assertTrue(survivor.stats().reaped.get() >= 1);
        assertTrue(tookMillis < 30_000, "taken back in " + tookMillis + " ms");
    }
}
