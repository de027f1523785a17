package io.trackedge.jobs;

import java.time.Instant;
import java.util.UUID;

/**
 * A job as a runner holds it after claiming: the claim is {@code (jobId, runner, attempt)}, and
 * every later write to the row (lease renewal, completion, failure) is conditional on it, so a
 * runner that lost its lease can change nothing.
 */
public record Job(UUID jobId, String type, Period period, UUID tenant, int priority, int attempt, int maxAttempts,
                  String runner, Instant queuedAt) {

    /** {@code type period tenant}, for logs and the CLI. */
    public String describe() {
        return type + " " + period + (tenant == null ? "" : " tenant " + tenant);
    }
}
