package io.trackedge.jobs;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * How a runner waits when a pass found nothing: sleeps that double from 1 ms to {@code max}, reset
 * by any work, so a busy runner loops at once and an idle one costs a wake-up per {@code max}.
 */
public final class IdleStrategy {

    private final long maxNanos;
    private long nextNanos = 1_000_000;

    public IdleStrategy(Duration max) {
        this.maxNanos = Math.max(1_000_000, max.toNanos());
    }

    public void idle(int workDone) {
        if (workDone > 0) {
            nextNanos = 1_000_000;
            return;
        }
        LockSupport.parkNanos(nextNanos);
        nextNanos = Math.min(maxNanos, nextNanos * 2);
    }
}
