package io.trackedge;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.http.Readiness;
import io.trackedge.jobs.JobRegistry;
import io.trackedge.jobs.JobRunner;
import io.trackedge.jobs.JobSettings;
import io.trackedge.jobs.JobStats;
import io.trackedge.jobs.JobStore;
import io.trackedge.jobs.RunnerThread;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The jobs' {@code /readyz} check reports a runner whose thread died, or a job past
 * {@code stuck-after}, as degraded and never as failing: the analytics jobs serve no request, and a
 * load balancer draining the node for them would stop its tracking too (as it did before).
 */
class JobsReadinessTest {

    private final JobSettings settings = JobSettings.defaults();
    private final JobStats stats = new JobStats();
    // No database is reached: the check reads the runner's figures only.
    private final JobRunner runner = new JobRunner("r", new JobStore(null, settings), JobRegistry.builder().build(), null, null,
            settings, stats);

    @AfterEach
    void close() {
        runner.close();
    }

    @Test
    void aRunnerThreadThatDiedIsDegradedAndTheNodeStaysReady() {
        RunnerThread dead = new RunnerThread(runner, settings); // never started: not alive, and not stopped on purpose
        Readiness.Status s = JobsStack.status(runner, dead, settings, false);
        assertTrue(s.ok(), s.detail());
        assertTrue(s.degraded(), s.detail());
        assertTrue(s.detail().startsWith("runner thread died"), s.detail());
    }

    @Test
    void aJobPastStuckAfterIsDegradedAndOneWithinItIsNot() throws Exception {
        RunnerThread stopped = new RunnerThread(runner, settings);
        stopped.stop(Duration.ZERO); // stopped on purpose: healthy
        stats.currentJob = "daily_aggregate day:2026-12-04 (attempt 1)";
        stats.currentSinceMillis = System.currentTimeMillis() - settings.stuckAfter().toMillis() - 60_000;
        Readiness.Status stuck = JobsStack.status(runner, stopped, settings, false);
        assertTrue(stuck.ok(), stuck.detail());
        assertTrue(stuck.degraded(), stuck.detail());
        assertTrue(stuck.detail().startsWith("stuck: one job for longer than PT2H"), stuck.detail());

        stats.currentSinceMillis = System.currentTimeMillis() - 60_000;
        Readiness.Status running = JobsStack.status(runner, stopped, settings, false);
        assertTrue(running.ok(), running.detail());
        assertFalse(running.degraded(), running.detail());
        assertTrue(running.detail().matches(".*now daily_aggregate day:2026-12-04 \\(attempt 1\\) for 6\\d s.*"), running.detail());
    }
}
