package io.trackedge.sink.posthog;

import io.trackedge.sink.SinkStats;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the PostHog sink reports, read by metrics and readiness from any thread; written only by
 * the sink's thread. {@link #sink} holds what every sink reports ({@code rows} counts events
 * PostHog accepted; {@code committedEvents} every event the cursor passed: accepted, rejected or
 * skipped).
 */
public final class PostHogStats {
    public final SinkStats sink = new SinkStats();
    /** Requests sent to PostHog, whatever their answer. */
    public final AtomicLong requests = new AtomicLong();
    /** Events PostHog refused one by one (400 for that event alone, or 413 for it alone); never retried. */
    public final AtomicLong rejected = new AtomicLong();
    /** Events given up because they waited longer than max-lag; never sent. */
    public final AtomicLong skippedMaxLag = new AtomicLong();
    /** Batches split in two after a 413 or a 400. */
    public final AtomicLong splits = new AtomicLong();

    public PostHogStats() {
        sink.up = true;
    }
}
