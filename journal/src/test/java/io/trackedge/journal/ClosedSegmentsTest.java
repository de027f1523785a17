package io.trackedge.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ClosedSegments} released by several sinks at once. */
class ClosedSegmentsTest {

    private static final int ROUNDS = 500;
    /** The slow sink's releases each round, one position apart: long enough to span the fast one's. */
    private static final long SLOW_RELEASES = 100_000;
    private static final long HIGHEST = SLOW_RELEASES + 1;

    @TempDir
    Path dir;

    /**
     * A fast sink's release must not be lost to a slow sink's lower one made at the same moment (a
     * read-modify-write of the last release, the slower write of a lower maximum overwriting the
     * higher): the segment the fast sink freed would stay on disk until some later release. Each
     * round a slow sink releases in small steps while a fast one releases once, at the end of the only
     * segment; when both are done, that segment must be the one deleted.
     */
    @Test
    void aReleaseMadeWhileAnotherSinkReleasesIsNotLost() throws Exception {
        SegmentCloser closer = new SegmentCloser(dir, new JournalStats(), Runnable::run); // deletes at once
        CyclicBarrier start = new CyclicBarrier(3);
        CyclicBarrier done = new CyclicBarrier(3);
        AtomicReference<ClosedSegments> current = new AtomicReference<>();
        AtomicBoolean slowStarted = new AtomicBoolean();
        Thread slow = sink("slow-sink", start, done, () -> {
            ClosedSegments closed = current.get();
            slowStarted.set(true);
            for (long p = 1; p <= SLOW_RELEASES; p++) {
                closed.releaseBefore(p);
            }
        });
        Thread fast = sink("fast-sink", start, done, () -> {
            while (!slowStarted.get()) {
                Thread.onSpinWait();
            }
            current.get().releaseBefore(HIGHEST);
        });
        int lost = 0;
        for (int round = 0; round < ROUNDS; round++) {
            ClosedSegments closed = new ClosedSegments(dir, new JournalStats(), closer, 1, Long.MAX_VALUE);
            closed.closed(0, 1, HIGHEST);
            current.set(closed);
            slowStarted.set(false);
            start.await(10, TimeUnit.SECONDS);
            done.await(10, TimeUnit.SECONDS);
            closed.deleteReleased();
            if (closed.bytes() != 0) {
                lost++;
            }
        }
        slow.join();
        fast.join();
        assertEquals(0, lost, "rounds of " + ROUNDS + " that lost the fast sink's release and kept its segment");
    }

    /** A thread that runs {@code releases} once a round, between {@code start} and {@code done}. */
    private static Thread sink(String name, CyclicBarrier start, CyclicBarrier done, Runnable releases) {
        return Thread.ofPlatform().daemon().name(name).start(() -> {
            try {
                for (int round = 0; round < ROUNDS; round++) {
                    start.await(10, TimeUnit.SECONDS);
                    releases.run();
                    done.await(10, TimeUnit.SECONDS);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }
}
