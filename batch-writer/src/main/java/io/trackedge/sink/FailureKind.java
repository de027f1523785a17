package io.trackedge.sink;

/** What a sink's failure means for the events that were being written. */
public enum FailureKind {
    /**
     * The destination refused the data (a PostgreSQL data exception, a 400 for the request): the
     * loop narrows the batch down to the events at fault, sets those aside, and writes the rest.
     */
    DATA,
    /** The connection or the destination failed: the same events are written again after a backoff. */
    TRANSIENT
}
