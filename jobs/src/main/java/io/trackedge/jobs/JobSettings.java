package io.trackedge.jobs;

import java.time.Duration;
import java.util.Objects;

/**
 * How the job runners behave; validated at construction.
 *
 * @param visibilityTimeout how long a running job's lease lasts without renewal (renewed every
 *     third of it while the job runs), and how long a Redis hint may go unclaimed before it is
 *     pushed again: a job whose runner died is taken back after at most this long
 * @param sweepInterval how often a runner reaps expired leases, re-dispatches, refreshes the queue
 *     depths and gives the scheduler a turn
 * @param retryBackoff wait before the second attempt; doubled for each further one
 * @param maxRetryBackoff the longest wait between attempts
 * @param maxAttempts attempts before a job is {@code dead}
 * @param scheduleDelay how long after a period closes its jobs are enqueued, so that events still
 *     in the journals (sink lag) are in the raw tables when the roll-up reads them
 * @param stuckAfter a job running longer than this makes {@code /readyz} report the runner stuck (degraded, not failing)
 * @param maxIdle the longest sleep of an idle runner between looks at the queues
 * @param maxDeferrals deferrals in a row ({@link JobStore#defer}: runs that lost a lock wait, a
 *     deadlock or a serialization check) after which a contention fails the attempt like any error
 */
public record JobSettings(Duration visibilityTimeout, Duration sweepInterval, Duration retryBackoff,
                          Duration maxRetryBackoff, int maxAttempts, Duration scheduleDelay, Duration stuckAfter,
                          Duration maxIdle, int maxDeferrals) {

    public JobSettings {
        for (Duration d : new Duration[] {visibilityTimeout, sweepInterval, retryBackoff, maxRetryBackoff, scheduleDelay,
                stuckAfter, maxIdle}) {
            Objects.requireNonNull(d, "a job setting is null");
            if (d.isNegative()) {
                throw new IllegalArgumentException("job settings must not be negative: " + d);
            }
        }
        if (visibilityTimeout.toMillis() < 300) {
            throw new IllegalArgumentException("visibility timeout must be at least 300 ms, got " + visibilityTimeout);
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("max attempts must be at least 1, got " + maxAttempts);
        }
        if (maxDeferrals < 0) {
            throw new IllegalArgumentException("max deferrals must not be negative, got " + maxDeferrals);
        }
    }

    /**
     * Deferrals in a row before a contention counts as failure: about a day at the 30-minute longest
     * wait, long enough for a report or a backup to end, and then a lock that never comes free ends
     * the job in {@code dead} (and its alert) instead of queueing the sinks behind a try every half hour.
     */
    public static final int DEFAULT_MAX_DEFERRALS = 48;

    /** The defaults of {@code reference.conf}'s {@code edge.jobs}. */
    public static JobSettings defaults() {
        return new JobSettings(Duration.ofSeconds(60), Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofMinutes(30),
                5, Duration.ofMinutes(5), Duration.ofHours(2), Duration.ofMillis(500), DEFAULT_MAX_DEFERRALS);
    }

    public JobSettings withVisibilityTimeout(Duration d) {
        return new JobSettings(d, sweepInterval, retryBackoff, maxRetryBackoff, maxAttempts, scheduleDelay, stuckAfter, maxIdle, maxDeferrals);
    }

    public JobSettings withSweepInterval(Duration d) {
        return new JobSettings(visibilityTimeout, d, retryBackoff, maxRetryBackoff, maxAttempts, scheduleDelay, stuckAfter, maxIdle, maxDeferrals);
    }

    public JobSettings withRetries(Duration backoff, Duration maxBackoff, int attempts) {
        return new JobSettings(visibilityTimeout, sweepInterval, backoff, maxBackoff, attempts, scheduleDelay, stuckAfter, maxIdle, maxDeferrals);
    }

    public JobSettings withScheduleDelay(Duration d) {
        return new JobSettings(visibilityTimeout, sweepInterval, retryBackoff, maxRetryBackoff, maxAttempts, d, stuckAfter, maxIdle, maxDeferrals);
    }

    public JobSettings withStuckAfter(Duration d) {
        return new JobSettings(visibilityTimeout, sweepInterval, retryBackoff, maxRetryBackoff, maxAttempts, scheduleDelay, d, maxIdle, maxDeferrals);
    }

    public JobSettings withMaxIdle(Duration d) {
        return new JobSettings(visibilityTimeout, sweepInterval, retryBackoff, maxRetryBackoff, maxAttempts, scheduleDelay, stuckAfter, d, maxDeferrals);
    }

    public JobSettings withMaxDeferrals(int n) {
        return new JobSettings(visibilityTimeout, sweepInterval, retryBackoff, maxRetryBackoff, maxAttempts, scheduleDelay, stuckAfter,
                maxIdle, n);
    }
}
