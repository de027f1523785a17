package io.trackedge.journal;

/**
 * How far the journal's readers may read ({@link JournalWriter#flushedPosition()}): every record
 * written, or, once {@link #holdUntilForced}, every record forced to the device. Written records
 * count as appended ({@link JournalStats}) when they become readable. Moved by the writer's thread;
 * {@link #position} is read by any.
 */
final class ReadableEnd {

    private final JournalStats stats;
    private volatile long position;
    private boolean holdUntilForced;
    /** Written since the end last moved: not readable yet under {@link #holdUntilForced}. */
    private long pendingBytes;
    private int pendingRecords;

    ReadableEnd(JournalStats stats) {
        this.stats = stats;
    }

    long position() {
        return position;
    }

    /** A new segment, or the journal as opened: nothing is pending. */
    void startAt(long position) {
        this.position = position;
    }

    void holdUntilForced() {
        holdUntilForced = true;
    }

    boolean holdsUntilForced() {
        return holdUntilForced;
    }

    /** {@code records} in {@code bytes} were written, the segment now ending at {@code end}. */
    void written(long bytes, int records, long end) {
        pendingBytes += bytes;
        pendingRecords += records;
        if (!holdUntilForced) {
            moveTo(end);
        }
    }

    /** Everything written up to {@code end} is on the device. */
    void forced(long end) {
        if (holdUntilForced) {
            moveTo(end);
        }
    }

    private void moveTo(long end) {
        stats.appendedBytes.addAndGet(pendingBytes);
        stats.appendedRecords.addAndGet(pendingRecords);
        pendingBytes = 0;
        pendingRecords = 0;
        position = end;
    }

    /** Whether nothing written waits for a force (always, unless held until forced). */
    boolean allForced() {
        return pendingBytes == 0 || !holdUntilForced;
    }

    /** Bytes written and not readable, which a failed force leaves to cut. */
    long unreadableBytes() {
        return holdUntilForced ? pendingBytes : 0;
    }

    long unreadableRecords() {
        return holdUntilForced ? pendingRecords : 0;
    }

    /** The unreadable bytes were cut, or are to be read after all. */
    void dropPending() {
        pendingBytes = 0;
        pendingRecords = 0;
    }
}
