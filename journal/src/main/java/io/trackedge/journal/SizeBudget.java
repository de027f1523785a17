package io.trackedge.journal;

/**
 * A journal's size budget: the cap on the bytes its segment files hold ({@code edge.journal.max-bytes},
 * at least two segments), the count of those bytes ({@link JournalStats#sizeBytes}), and how room
 * comes back: the closed segments every sink has passed are released, handed to the
 * {@link SegmentCloser}'s thread and deleted there ({@link ClosedSegments}), which subtracts their
 * bytes.
 *
 * <p>{@link #hasRoomFor}, {@link #roomFloor} and {@link #releaseBefore} may be called from any
 * thread; the rest only from the writer's.
 */
final class SizeBudget {

    private final long maxBytes;
    private final JournalStats stats;
    private final ClosedSegments closed;

    /** @throws IllegalArgumentException when {@code maxBytes} is under two segments of {@code segmentBytes} */
    SizeBudget(long segmentBytes, long maxBytes, JournalStats stats, ClosedSegments closed) {
        if (maxBytes < 2 * segmentBytes) {
            throw new IllegalArgumentException("journal cap (" + maxBytes + ") must be at least two segments (" + 2 * segmentBytes + ")");
        }
        this.maxBytes = maxBytes;
        this.stats = stats;
        this.closed = closed;
    }

    /**
     * See {@link JournalWriter#hasRoomFor}. Staged bytes are not counted, so it errs towards yes: for a
     * request answered before its events are written ({@code ack=memory}), which must not be told 202
     * while the journal is full.
     */
    boolean hasRoomFor(int records, long variableBytes) {
        long bytes = (long) records * (Framing.HEADER + RecordCodec.FIXED_SIZE) + variableBytes;
        return stats.sizeBytes.get() + bytes <= maxBytes;
    }

    /**
     * Whether a record fits under the cap with the closed segments, when the current segment, the
     * records staged and the record's framed bound hold {@code openBytes}; a refusal is counted
     * ({@link JournalStats#droppedAtCap}).
     */
    boolean admit(long openBytes) {
        if (closed.bytes() + openBytes > maxBytes) {
            stats.droppedAtCap.incrementAndGet();
            return false;
        }
        return true;
    }

    /** The journal was opened on segments found on disk, the newest holding {@code currentBytes}. */
    void opened(long currentBytes) {
        stats.sizeBytes.set(closed.bytes() + currentBytes);
    }

    /**
     * The segment files hold {@code bytes} more (fewer when negative: a cut). The closer's deletions
     * subtract theirs.
     */
    void grew(long bytes) {
        stats.sizeBytes.addAndGet(bytes);
    }

    /** See {@link JournalWriter#roomFloor}. */
    long roomFloor() {
        return closed.roomFloor();
    }

    /** See {@link JournalWriter#releaseBefore}. */
    void releaseBefore(long position) {
        closed.releaseBefore(position);
    }

    /** Hands the segments released so far to the closer's thread for deletion: no file work on this thread. */
    void handOverReleased() {
        closed.deleteReleased();
    }
}
