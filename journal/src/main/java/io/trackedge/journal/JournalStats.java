package io.trackedge.journal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters the journal keeps for the metrics endpoint. Written by the one appender thread, read by
 * any thread; plain atomics so that the journal module does not depend on a metrics library.
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
    public final AtomicLong sizeBytes = new AtomicLong();
}
