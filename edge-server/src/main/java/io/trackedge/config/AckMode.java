package io.trackedge.config;

/**
 * When the edge releases a response, relative to its event reaching the journal. The response
 * bytes are the same in every mode; only their timing differs.
 */
public enum AckMode {
    /** Answer at once; events still in the ring are lost if the process dies. */
    MEMORY,
    /** Answer once the event is written to the journal file: survives kill -9 of the process. */
    JOURNAL,
    /** Answer once the journal file is fsynced: survives power loss. */
    FSYNC
}
