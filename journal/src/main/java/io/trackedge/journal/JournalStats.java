package io.trackedge.journal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters the journal keeps for the metrics endpoint. Written by the writer's thread and the
 * {@link SegmentCloser}'s, read by any thread; plain atomics so that the journal module does not depend on a metrics library.
 */
public final class JournalStats {
    public final AtomicLong appendedRecords = new AtomicLong();
    public final AtomicLong appendedBytes = new AtomicLong();
    public final AtomicLong writes = new AtomicLong();
    public final AtomicLong fsyncs = new AtomicLong();
    public final AtomicLong fsyncNanos = new AtomicLong();
    /** Events refused because the journal reached its size cap. */
    public final AtomicLong droppedAtCap = new AtomicLong();
    /** Bytes cut from a torn tail at start-up. */
    public final AtomicLong tornTailBytesCut = new AtomicLong();
    public final AtomicLong segmentsDeleted = new AtomicLong();
    /** Failed attempts to delete released segments (each is tried again at the next release). */
    public final AtomicLong segmentDeletionFailures = new AtomicLong();
    /** Time the closer's thread spent deleting released segments (the write path spent it before). */
    public final AtomicLong segmentDeletionNanos = new AtomicLong();
    /** Segments forced and closed after a roll, off the writer's thread. */
    public final AtomicLong segmentSyncs = new AtomicLong();
    public final AtomicLong segmentSyncNanos = new AtomicLong();
    /**
     * Closed segments whose fsync failed, or the directory's after a segment was created: their
     * records may not survive a power cut.
     */
    public final AtomicLong segmentSyncFailures = new AtomicLong();
    /** Closed segments handed over and not yet forced. */
    public final AtomicLong segmentSyncsPending = new AtomicLong();
    /** Bytes in the journal's segments: those written, less those of segments deleted. */
    public final AtomicLong sizeBytes = new AtomicLong();
}
