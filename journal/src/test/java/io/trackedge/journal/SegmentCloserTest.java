package io.trackedge.journal;

import static io.trackedge.journal.ReadBack.SEGMENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A roll hands the segment it leaves to the closer and goes on writing; only {@code force} (what
 * {@code ack=fsync} answers after) and {@code close} wait for that segment's fsync.
 */
class SegmentCloserTest {

    @TempDir
    Path dir;

    /** One thread, held until {@link #release} opens: the closer's syncs queue behind it. */
    private final ExecutorService held = Executors.newSingleThreadExecutor();
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void stop() throws InterruptedException {
        release.countDown();
        held.shutdown();
        assertTrue(held.awaitTermination(30, TimeUnit.SECONDS));
    }

    /** Occupies the closer's one thread until {@link #release} opens: its tasks queue behind. */
    private void holdTheCloser() {
        held.execute(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    @Test
    void aRollGoesOnWritingWhileTheSegmentItLeftIsForcedAndForceWaitsForIt() throws Exception {
        holdTheCloser();
        JournalStats stats = new JournalStats();
        Random rnd = new Random(11);
        MutableEvent slot = new MutableEvent();
        List<EventSpec> written = new ArrayList<>();
        // Resources close in reverse: the closer's thread is let go (also after a failed assertion) before close waits for it.
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 4 * SEGMENT, stats,
                        JournalWriterHooks.DEFAULTS.withCloser(new SegmentCloser(dir, stats, held)));
                AutoCloseable letGo = release::countDown) {
            int n = 0;
            while (Segments.list(dir).size() < 2) {
                EventSpec e = EventSpec.random(n++, rnd, 64 * 1024);
                assertTrue(w.tryAppend(e.fill(slot)));
                w.flush();
                written.add(e);
            }
            // Rolled, and wrote into the new segment, while the one it left is still unforced.
            assertTrue(w.flushedPosition() > Segments.list(dir).get(1), "records written after the roll");
            assertEquals(1, stats.segmentSyncsPending.get());
            assertEquals(0, stats.segmentSyncs.get());

            AtomicBoolean forced = new AtomicBoolean();
            Thread forcer = new Thread(() -> {
                w.force();
                forced.set(true);
            }, "forcer");
            forcer.start();
            awaitWaiting(forcer);
            assertFalse(forced.get(), "force returned before the segment left behind was forced");

            release.countDown();
            forcer.join(TimeUnit.SECONDS.toMillis(30));
            assertTrue(forced.get());
            assertEquals(1, stats.segmentSyncs.get());
            assertEquals(0, stats.segmentSyncsPending.get());
            assertEquals(0, stats.segmentSyncFailures.get());
        }
        ReadBack.assertExactly(written, ReadBack.readAll(dir, 0), 0);
    }

    @Test
    void aFailedSyncIsCountedAndFailsTheNextForceOnce() throws Exception {
        JournalStats stats = new JournalStats();
        try (SegmentCloser closer = new SegmentCloser(dir, stats)) {
            FileChannel gone = FileChannel.open(dir.resolve("x.seg"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            gone.close(); // its force fails: what a disk error looks like to the closer
            closer.closeLater(gone, 4096);

            IOException e = assertThrows(IOException.class, closer::awaitSynced);
            assertTrue(e.getMessage().contains("4096"), e.getMessage());
            assertTrue(e.getCause() instanceof ClosedChannelException, String.valueOf(e.getCause()));
            assertEquals(1, stats.segmentSyncFailures.get());
            assertEquals(0, stats.segmentSyncs.get());
            assertEquals(0, stats.segmentSyncsPending.get());

            closer.awaitSynced(); // reported once: the next batch's force is not failed by an old segment
        }
    }

    @Test
    void aWriterWhoseClosedSegmentFailedItsSyncFailsTheNextForce() throws Exception {
        JournalStats stats = new JournalStats();
        SegmentCloser closer = new SegmentCloser(dir, stats);
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 4 * SEGMENT, stats,
                        JournalWriterHooks.DEFAULTS.withCloser(closer))) {
            FileChannel gone = FileChannel.open(dir.resolve("x.seg"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            gone.close();
            closer.closeLater(gone, 8192);
            UncheckedIOException e = assertThrows(UncheckedIOException.class, w::force);
            assertTrue(e.getCause().getMessage().contains("8192"), e.getCause().getMessage());
            w.force(); // the current segment itself is fine
        }
    }

    @Test
    @Timeout(60) // a flush that waited for the held closer would hang, not fail
    void aReleasedSegmentIsDeletedOnTheCloserWhileTheWriterGoesOnWriting() throws Exception {
        holdTheCloser();
        JournalStats stats = new JournalStats();
        Random rnd = new Random(12);
        MutableEvent slot = new MutableEvent();
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 8 * SEGMENT, stats,
                        JournalWriterHooks.DEFAULTS.withCloser(new SegmentCloser(dir, stats, held)));
                AutoCloseable letGo = release::countDown) {
            int n = 0;
            while (Segments.list(dir).size() < 3) {
                assertTrue(w.tryAppend(EventSpec.random(n++, rnd, 64 * 1024).fill(slot)));
                w.flush();
            }
            List<Long> bases = Segments.list(dir);
            w.releaseBefore(bases.get(1)); // every sink has passed the oldest segment
            long before = w.flushedPosition();
            assertTrue(w.tryAppend(EventSpec.random(n, rnd, 100).fill(slot)));
            w.flush(); // hands the deletion over and writes, while the closer's thread is held
            assertTrue(w.flushedPosition() > before, "the write waited for the deletion");
            assertEquals(bases, Segments.list(dir));
            assertEquals(0, stats.segmentsDeleted.get());
            assertEquals(Segments.totalBytes(dir), stats.sizeBytes.get(), "a segment not yet deleted still counts");

            release.countDown();
            w.awaitFileWork();
            assertEquals(bases.subList(1, 3), Segments.list(dir));
            assertEquals(1, stats.segmentsDeleted.get());
            assertEquals(Segments.totalBytes(dir), stats.sizeBytes.get());
        }
    }

    @Test
    @Timeout(60)
    void aReleaseWhileADeletionIsPendingWaitsForItSoThatAFailureLeavesNoGap() throws Exception {
        holdTheCloser();
        JournalStats stats = new JournalStats();
        Random rnd = new Random(13);
        MutableEvent slot = new MutableEvent();
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 8 * SEGMENT, stats,
                        JournalWriterHooks.DEFAULTS.withCloser(new SegmentCloser(dir, stats, held)));
                AutoCloseable letGo = release::countDown) {
            int n = 0;
            while (Segments.list(dir).size() < 4) {
                assertTrue(w.tryAppend(EventSpec.random(n++, rnd, 64 * 1024).fill(slot)));
                w.flush();
            }
            List<Long> bases = Segments.list(dir);
            // The oldest segment becomes something unlink cannot remove: a folder with a file in it.
            Path stuck = Segments.path(dir, bases.get(0));
            java.nio.file.Files.delete(stuck);
            java.nio.file.Files.createDirectory(stuck);
            java.nio.file.Files.writeString(stuck.resolve("in-the-way"), "x");
            w.releaseBefore(bases.get(1));
            w.flush(); // hands the oldest segment over; the closer is held
            w.releaseBefore(bases.get(2));
            w.flush(); // must not hand the second over while the first may still fail

            release.countDown();
            w.awaitFileWork();
            assertEquals(bases, Segments.list(dir), "a segment was deleted past one that could not be: a gap");
            assertEquals(1, stats.segmentDeletionFailures.get());

            java.nio.file.Files.delete(stuck.resolve("in-the-way"));
            w.releaseBefore(bases.get(2) + 1);
            w.flush();
            w.awaitFileWork();
            assertEquals(bases.subList(2, 4), Segments.list(dir));
            assertEquals(2, stats.segmentsDeleted.get());
            assertEquals(Segments.totalBytes(dir), stats.sizeBytes.get());
        }
    }

    @Test
    void closeRaisesARolledSegmentsFailedSyncThatNoForceReported() throws Exception {
        JournalStats stats = new JournalStats();
        SegmentCloser closer = new SegmentCloser(dir, stats);
        JournalWriter w = JournalWriter.open(dir, SEGMENT, 4 * SEGMENT, stats, JournalWriterHooks.DEFAULTS.withCloser(closer));
        FileChannel gone = FileChannel.open(dir.resolve("x.seg"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        gone.close(); // under ack=journal nothing forces: only close can say the journal is not on disk
        closer.closeLater(gone, 12288);
        IOException e = assertThrows(IOException.class, w::close);
        assertTrue(e.getMessage().contains("12288"), e.getMessage());
        assertEquals(1, stats.segmentSyncFailures.get());
    }

    @Test
    void aSegmentHandedOverAfterTheCloserClosedIsSyncedAtOnce() throws Exception {
        JournalStats stats = new JournalStats();
        SegmentCloser closer = new SegmentCloser(dir, stats);
        closer.close();
        FileChannel segment = FileChannel.open(dir.resolve("y.seg"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        closer.closeLater(segment, 16384); // its thread is gone: forced and closed on this one
        assertFalse(segment.isOpen());
        assertEquals(1, stats.segmentSyncs.get());
        assertEquals(0, stats.segmentSyncsPending.get());
        closer.awaitSynced();
    }

    private static void awaitWaiting(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING) {
            assertTrue(t.isAlive(), "the thread ended instead of waiting");
            assertTrue(System.nanoTime() < deadline, "the thread never waited: " + t.getState());
            Thread.onSpinWait();
        }
    }
}
