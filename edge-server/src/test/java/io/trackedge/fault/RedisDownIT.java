package io.trackedge.fault;

import io.trackedge.sink.testing.FaultReport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Redis down. Redis only dispatches analytics jobs, and the jobs are not built yet, so there is
 * nothing to fault: the scenario is skipped with that reason, and the results table says so.
 */
class RedisDownIT {

    @Test
    void redisDownIsSkippedUntilJobsExist() {
        FaultReport.record("redis-down", "Redis stopped", 0, 0, 0, 0, 0,
                "skipped: the analytics jobs (the only Redis user) are not built yet");
        Assumptions.abort("skipped: the analytics jobs, the only user of Redis, are not built yet");
    }
}
