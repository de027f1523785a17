package io.trackedge.sink.posthog;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What the PostHog sink reports beyond what every sink does ({@code SinkStats}: there {@code rows}
 * counts events PostHog accepted, and {@code badEvents} those it refused alone). Read from any
 * thread; written by the sink loop's thread.
 */
public final class PostHogStats {
    /** Requests sent to PostHog, whatever their answer. */
    public final AtomicLong requests = new AtomicLong();
    /** Events given up because they waited longer than max-lag; never sent. */
    public final AtomicLong skippedMaxLag = new AtomicLong();
    /**
     * Events given up unsent because the journal, kept for PostHog during an outage, neared its cap
     * (PostgreSQL had passed them); never sent.
     */
    public final AtomicLong skippedForRoom = new AtomicLong();
}
