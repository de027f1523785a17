package io.trackedge.journal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A journal's closed segments as its writer keeps them: their bytes, and their deletion once every
 * sink has read past them. The writer's thread decides what a release frees, in memory; the files
 * are deleted on the {@link SegmentCloser}'s thread, because unlinking a 64 MiB segment that has been
 * forced to disk takes about 15 ms on a VM's ext4, and the batches (and {@code ack=journal} answers)
 * behind the writer would wait for it.
 *
 * <p>{@link #releaseBefore} and {@link #bytes} may be called from any thread; the rest only from the
 * writer's.
 */
final class ClosedSegments {

    private static final Logger log = LoggerFactory.getLogger(ClosedSegments.class);

    /** A closed segment: its first position, the next segment's, and its file's size. */
    private record Segment(long base, long next, long size) {}

    private final Path dir;
    private final JournalStats stats;
    private final SegmentCloser closer;
    /** Closed segments not handed over for deletion, oldest first. Writer's thread. */
    private final ArrayDeque<Segment> kept = new ArrayDeque<>();
    /**
     * A hand-off to the closer is pending. One at a time: a failed deletion is back in {@link #kept}
     * before a later release frees more, so the segments kept stay contiguous (a reader starting
     * before a gap would report it as damage).
     */
    private volatile boolean deleting;
    /** What the last hand-off could not delete, oldest first: set by the closer before it clears {@link #deleting}. */
    private List<Segment> leftOver = List.of();
    /** The closed segments' share of {@link JournalWriter#roomFloor}'s budget: what they may hold. */
    private final long roomBytes;
    /** See {@link JournalWriter#roomFloor}: recomputed on the writer's thread as segments close. */
    private volatile long roomFloor = -1;
    /** Bytes of every closed segment still on disk, including those whose deletion is pending. */
    private final AtomicLong bytes = new AtomicLong();
    /** Atomic: sinks release from their own threads, and a higher release must not be overwritten by a lower one. */
    private final AtomicLong releaseBefore = new AtomicLong();
    private long appliedRelease;
    /** The last deletion failed (logged once per streak). Closer's thread. */
    private boolean deletionFailing;

    /** @param segmentBytes and {@code maxBytes}: the journal's, for {@link #roomFloor} */
    ClosedSegments(Path dir, JournalStats stats, SegmentCloser closer, long segmentBytes, long maxBytes) {
        this.dir = dir;
        this.stats = stats;
        this.closer = closer;
        long room = roomBytes(segmentBytes, maxBytes);
        // A cap under about 2.2 segments leaves less room than one segment: giving up would follow every roll.
        this.roomBytes = room < segmentBytes ? Long.MAX_VALUE : room;
    }

    /**
     * The share of the cap a sink that may give events up ({@code PostHogSink}) lets the journal
     * fill before it does: nine tenths, less the segment being written.
     */
    static long roomBytes(long segmentBytes, long maxBytes) {
        return maxBytes / 10 * 9 - segmentBytes;
    }

    /** Counts the segments found when the journal opens: every one but the newest, which stays open. */
    void opened(List<Long> bases) throws IOException {
        for (int i = 0; i < bases.size() - 1; i++) {
            long size = Files.size(Segments.path(dir, bases.get(i)));
            kept.addLast(new Segment(bases.get(i), bases.get(i + 1), size));
            bytes.addAndGet(size);
        }
        roomFloor = computeRoomFloor();
    }

    /** The writer closed the segment at {@code base}, of {@code size} bytes, and opened the one at {@code next}. */
    void closed(long base, long size, long next) {
        kept.addLast(new Segment(base, next, size));
        bytes.addAndGet(size);
        roomFloor = computeRoomFloor();
    }

    /** See {@link JournalWriter#roomFloor}. Any thread. */
    long roomFloor() {
        return roomFloor;
    }

    /**
     * The end of the newest closed segment that no longer fits in {@link #roomBytes}, counting from the
     * newest back; -1 when they all fit. Segments handed over for deletion are behind every cursor already.
     */
    private long computeRoomFloor() {
        long sum = 0;
        var newestFirst = kept.descendingIterator();
        while (newestFirst.hasNext()) {
            Segment s = newestFirst.next();
            sum += s.size();
            if (sum > roomBytes) {
                return s.next();
            }
        }
        return -1;
    }

    /** Bytes of every closed segment not yet deleted. Any thread. */
    long bytes() {
        return bytes.get();
    }

    /** See {@link JournalWriter#releaseBefore}. Any thread. */
    void releaseBefore(long position) {
        releaseBefore.accumulateAndGet(position, Math::max);
    }

    /**
     * Hands the closed segments the latest release frees to the closer, which deletes them. Cheap: no
     * call into the file system on this thread. A segment whose deletion failed is tried again at the
     * next, higher release, not at every flush.
     */
    void deleteReleased() {
        if (deleting) {
            return; // the release is applied at a flush after the closer is done
        }
        if (!leftOver.isEmpty()) {
            for (int i = leftOver.size() - 1; i >= 0; i--) {
                kept.addFirst(leftOver.get(i)); // older than every segment kept
            }
            leftOver = List.of();
        }
        long position = releaseBefore.get();
        if (position <= appliedRelease) {
            return;
        }
        appliedRelease = position;
        List<Segment> freed = null;
        while (!kept.isEmpty() && kept.peekFirst().next() <= position) {
            if (freed == null) {
                freed = new ArrayList<>(2);
            }
            freed.add(kept.pollFirst());
        }
        if (freed != null) {
            List<Segment> batch = freed;
            deleting = true;
            closer.later(() -> delete(batch));
        }
    }

    /**
     * On the closer's thread: deletes the segments oldest first, and at the first that cannot be
     * deleted sends it and every later one back, so that the segments kept stay contiguous (a reader
     * starting before a gap would report it as damage). Never throws: see {@link SegmentCloser#later}.
     */
    private void delete(List<Segment> segments) {
        long t0 = System.nanoTime();
        int i = 0;
        try {
            for (; i < segments.size(); i++) {
                Segment s = segments.get(i);
                if (Files.deleteIfExists(Segments.path(dir, s.base()))) {
                    stats.segmentsDeleted.incrementAndGet();
                }
                bytes.addAndGet(-s.size());
                stats.sizeBytes.addAndGet(-s.size());
            }
            deletionFailing = false;
        } catch (IOException | RuntimeException e) {
            stats.segmentDeletionFailures.incrementAndGet();
            leftOver = List.copyOf(segments.subList(i, segments.size()));
            if (!deletionFailing) { // once per streak: a sink releases several times a second
                log.warn("cannot delete released journal segment {}; the next release tries again", segments.get(i).base(), e);
            }
            deletionFailing = true;
        } finally {
            stats.segmentDeletionNanos.addAndGet(System.nanoTime() - t0);
            deleting = false; // after leftOver: the writer reads it once it sees this
        }
    }
}
