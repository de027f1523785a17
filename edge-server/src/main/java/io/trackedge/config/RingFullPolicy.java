package io.trackedge.config;

/** What a tracking request gets when the ring has no free slot (the journal is not keeping up). */
public enum RingFullPolicy {
    /**
     * Serve the pixel or redirect anyway and count the event in {@code edge_events_shed_total}:
     * a reader's email must not break because the disk is slow. The response is then not an
     * acknowledgement of the event.
     */
    SHED,
    /** Answer 503 with {@code Retry-After: 1}; nothing is recorded. */
    REJECT
}
