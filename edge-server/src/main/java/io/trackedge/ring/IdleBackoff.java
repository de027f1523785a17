package io.trackedge.ring;

import java.util.concurrent.TimeUnit;

/**
 * How long the journal-appender thread sleeps between looks at the ring when no one wakes it. Every
 * hand-off wakes it at once; the timer only bounds the delay of one that was missed. Under traffic
 * that bound is {@link #MAX_PARK}. While looks find nothing to write, each sleep is twice the last,
 * up to {@link #IDLE_PARK}: with a fixed 1 ms tick, an idle edge spent 3 to 4 % of a core on a
 * thousand empty wake-ups a second ({@code benchmarks/idle-cpu}).
 */
final class IdleBackoff {

    /** Longest sleep without a wake while events are being written: the bound on a missed hand-off's delay. */
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
