package io.trackedge.journal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A journal's closed segments as its writer keeps them: their bytes, and their deletion once every
 * sink has read past them. {@link #releaseBefore} may be called from any thread; everything else
 * only from the writer's, so the accounting needs no lock.
 */
final class ClosedSegments {

    private static final Logger log = LoggerFactory.getLogger(ClosedSegments.class);

    private final Path dir;
    private final JournalStats stats;
    private long bytes;
    private volatile long releaseBefore;
    private long appliedRelease;
    /**
     * The release position that frees the oldest closed segment (the next segment's base), or
     * {@link Long#MAX_VALUE} when no segment is closed: a release short of it deletes nothing, so it
     * is no housekeeping.
     */
    private long nextReleasable = Long.MAX_VALUE;
    /** The last deletion before a write failed (logged once per streak). */
    private boolean deletionFailing;

    ClosedSegments(Path dir, JournalStats stats) {
        this.dir = dir;
        this.stats = stats;
    }

    /** Counts the segments found when the journal opens: every one but the newest, which stays open. */
    void opened(List<Long> bases) throws IOException {
        for (int i = 0; i < bases.size() - 1; i++) {
            bytes += Files.size(Segments.path(dir, bases.get(i)));
        }
        nextReleasable = bases.size() >= 2 ? bases.get(1) : Long.MAX_VALUE;
    }

    /** The writer closed a segment of {@code size} bytes and opened the one at {@code openBase}. */
    void closed(long size, long openBase) {
        bytes += size;
        if (nextReleasable == Long.MAX_VALUE) {
            nextReleasable = openBase; // the segment just closed was the only one: passing its end frees it
        }
    }

    /** Bytes of every closed segment not yet deleted. */
    long bytes() {
        return bytes;
    }

    /** See {@link JournalWriter#releaseBefore}. Any thread. */
    void releaseBefore(long position) {
        releaseBefore = Math.max(releaseBefore, position);
    }

    /** True when a release waits that frees at least one segment. */
    boolean deletionDue() {
        return releaseBefore >= nextReleasable;
    }

    /** Deletes the closed segments the latest release frees; never the one at {@code openBase}. */
    void deleteReleased(long openBase) throws IOException {
        long position = releaseBefore;
        if (position <= appliedRelease) {
            return;
        }
        appliedRelease = position;
        List<Long> bases = Segments.list(dir);
        int first = 0; // the oldest segment kept
        try {
            for (; first + 1 < bases.size(); first++) {
                long next = bases.get(first + 1);
                if (next > position || bases.get(first) == openBase) {
                    break;
                }
                Path p = Segments.path(dir, bases.get(first));
                long size = Files.size(p);
                Files.delete(p);
                bytes -= size;
                stats.segmentsDeleted.incrementAndGet();
            }
        } finally {
            // Also after a failed deletion: the segment it left is the next releasable one.
            nextReleasable = first + 1 < bases.size() ? bases.get(first + 1) : Long.MAX_VALUE;
        }
        deletionFailing = false;
    }

    /**
     * {@link #deleteReleased} before a write, which a failed deletion must not fail: the batch's
     * events would be counted as lost for a file the sinks no longer need. The release stays applied
     * (so each batch does not try again), and the next, higher release tries the leftover segments.
     */
    void deleteReleasedBeforeWrite(long openBase) {
        try {
            deleteReleased(openBase);
        } catch (IOException e) {
            if (!deletionFailing) { // once per streak: a sink releases several times a second
                log.warn("cannot delete released journal segments before {}; each later release tries again", appliedRelease, e);
            }
            deletionFailing = true;
        }
    }
}
