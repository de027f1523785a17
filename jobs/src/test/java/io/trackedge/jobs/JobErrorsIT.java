package io.trackedge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.jobs.testing.JobsDatabase;
import io.trackedge.jobs.testing.ScriptedRollUp;
import io.trackedge.sink.testing.Await;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A roll-up that throws an {@link Error} (a class missing after a package upgrade replaced the jar
 * under the running process) fails its attempt with that cause and is retried after its backoff,
 * and the runner thread lives on. Before, the Error killed the thread: the job sat in "running"
 * until its lease expired, was then failed as "lease expired" with the cause lost, and this node ran
 * no job again (and its {@code /readyz} failed, draining it from the load balancer).
 */
class JobErrorsIT {

    private static final String TYPE = "error_once";

    @RegisterExtension
    static final JobsDatabase pg = new JobsDatabase();

    @BeforeEach
    void empty() throws Exception {
        pg.reset();
    }

    @Test
    void anErrorInARollUpFailsItsAttemptWithItsCauseAndTheRunnerThreadLivesOn() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        RollUp errorOnce = new ScriptedRollUp(TYPE, (c, period, tenant) -> {
            if (runs.incrementAndGet() == 1) {
                throw new NoClassDefFoundError("io/trackedge/jobs/rollup/Replaced");
            }
        });
        JobSettings settings = JobSettings.defaults().withRetries(Duration.ofMillis(200), Duration.ofMillis(400), 3)
                .withSweepInterval(Duration.ofMillis(100)).withMaxIdle(Duration.ofMillis(20));
        JobStats stats = new JobStats();
        JobRunner runner = new JobRunner("r", new JobStore(pg.db.dataSource(), settings),
                JobRegistry.builder().add(errorOnce, 100, Granularity.DAY).build(), null, null, settings, stats);
        runner.enqueue(TYPE, Period.dayOf(LocalDate.now(ZoneOffset.UTC).minusDays(1)), null);

        try (RunnerThread thread = new RunnerThread(runner, settings).start()) {
            // The row's error, not the runner's counter: the counter moves before the row is written.
            Await.until("the first attempt failed", Duration.ofSeconds(30),
                    () -> pg.count("SELECT count(*) FROM analytics_jobs WHERE last_error IS NOT NULL") == 1);
            String error = pg.test.rows("SELECT last_error FROM analytics_jobs").get(0);
            assertTrue(error.contains("NoClassDefFoundError") && error.contains("Replaced"), error);
            Await.until("the job completed on its second attempt", Duration.ofSeconds(30),
                    () -> pg.count("SELECT count(*) FROM analytics_jobs WHERE status = 'completed'") == 1);
            assertTrue(thread.healthy(), "the runner thread is alive");
        }
        assertEquals(2, runs.get());
        assertEquals(2, pg.count("SELECT attempts FROM analytics_jobs"));
        assertEquals(0, stats.reaped.get(), "failed by its runner, not taken back after its lease");
        assertEquals(0, stats.dead.get());
    }
}
