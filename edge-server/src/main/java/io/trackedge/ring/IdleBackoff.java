package io.trackedge.ring;

import java.util.concurrent.TimeUnit;

/**
 * How long the journal-appender thread sleeps between looks at the ring when no one wakes it. Every
 * hand-off wakes it at once; the timer only bounds the delay of one that was missed. After the
 * thread had work that bound is {@link #MAX_PARK}. While its looks find nothing for it to do, each
 * sleep is twice the last, up to {@link #IDLE_PARK}: with a fixed 1 ms tick, an idle edge spent 3 to
 * 4 % of a core on a thousand empty wake-ups a second ({@code benchmarks/idle-cpu}), and an edge at
 * 10,000 requests a second, whose event loops write their own batches, 2 to 3 µs a request.
 */
final class IdleBackoff {

    /** Longest sleep without a wake after the thread had work: the bound on a missed hand-off's delay then. */
    static final long MAX_PARK = TimeUnit.MILLISECONDS.toNanos(1);
    /** Longest sleep without a wake once nothing has been written for a while. */
    static final long IDLE_PARK = TimeUnit.MILLISECONDS.toNanos(50);

    private IdleBackoff() {
    }

    /** The next sleep: twice {@code park} when the last look found nothing to do, up to {@link #IDLE_PARK}; else {@link #MAX_PARK}. */
    static long next(long park, boolean idle) {
        return idle ? Math.min(park * 2, IDLE_PARK) : MAX_PARK;
    }
}
