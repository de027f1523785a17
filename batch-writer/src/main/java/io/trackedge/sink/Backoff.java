package io.trackedge.sink;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Capped exponential backoff with jitter: the first wait is {@code first}, each failure doubles it
 * up to {@code max}, and each wait is drawn from [½, 1] of the current step, so several edges that
 * lost the same destination together do not come back in step. Not thread-safe.
 */
final class Backoff {

    private final long firstMillis;
    private final long maxMillis;
    private long stepMillis;

    Backoff(Duration first, Duration max) {
        this.firstMillis = Math.max(1, first.toMillis());
        this.maxMillis = Math.max(firstMillis, max.toMillis());
        this.stepMillis = firstMillis;
    }

    /** The next wait, then doubles the step. */
    long nextMillis() {
        long step = stepMillis;
        stepMillis = Math.min(maxMillis, stepMillis * 2);
        return step / 2 + ThreadLocalRandom.current().nextLong(step / 2 + 1);
    }

    /** After a success: the next failure waits {@code first} again. */
    void reset() {
        stepMillis = firstMillis;
    }

    long currentStepMillis() {
        return stepMillis;
    }
}
