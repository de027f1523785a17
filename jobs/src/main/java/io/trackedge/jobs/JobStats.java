package io.trackedge.jobs;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What a runner has done, for {@code /metrics} and {@code /readyz}. Written by the runner thread
 * only; read from any thread.
 */
public final class JobStats {
    public final AtomicLong claimed = new AtomicLong();
    public final AtomicLong claimedFromRedis = new AtomicLong();
    public final AtomicLong completed = new AtomicLong();
    /** Attempts that failed (the job is retried, or dead when it was the last). */
    public final AtomicLong failures = new AtomicLong();
    /** Runs that lost a contention (a lock wait, a deadlock, a serialization check) and were deferred, their attempt given back. */
    public final AtomicLong deferred = new AtomicLong();
    /** Every-tenant jobs this runner split into a job per tenant after one failed on data ({@link TenantSplit}). */
    public final AtomicLong splits = new AtomicLong();
    /** Jobs this runner moved to dead. */
    public final AtomicLong dead = new AtomicLong();
    /** Running jobs taken back because their lease expired. */
    public final AtomicLong reaped = new AtomicLong();
    /** Runs whose claim was lost before they committed (their work was rolled back). */
    public final AtomicLong lostClaims = new AtomicLong();
    public final AtomicLong hintsPushed = new AtomicLong();
    public final AtomicLong staleHints = new AtomicLong();
    public final AtomicLong scheduled = new AtomicLong();
    /** Time spent running jobs that completed, and from enqueue to completion, in nanoseconds. */
    public final AtomicLong runNanos = new AtomicLong();
    public final AtomicLong latencyNanos = new AtomicLong();
    public final AtomicLong loopErrors = new AtomicLong();
    /** Scheduler ticks whose re-runs for late events failed (their marks stay for the next tick). */
    public final AtomicLong lateRerunFailures = new AtomicLong();

    public volatile boolean redisUp;
    public volatile String lastError = "";
    public volatile JobRows.Depth depth = JobRows.Depth.EMPTY;
    /** The job running now, or null; and since when (epoch millis). */
    public volatile String currentJob;
    public volatile long currentSinceMillis;
    public volatile double lastRunSeconds;
}
