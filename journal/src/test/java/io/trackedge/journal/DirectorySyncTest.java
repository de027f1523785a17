package io.trackedge.journal;

import static io.trackedge.journal.ReadBack.SEGMENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regression: the fsync of the journal folder after a segment was created (its entry, without which
 * a power cut can lose the whole segment) failed silently, logged at DEBUG, while a failed fsync of
 * the segment's bytes is counted, alerted on, and fails {@code ack=fsync}'s next batch. Both go the
 * same way now. The folder's fsync is made to fail by moving the folder away while the closer is
 * held: the writer's open segment files stay usable, the folder's path does not.
 */
class DirectorySyncTest {

    @TempDir
    Path tmp;

    private final ExecutorService held = Executors.newSingleThreadExecutor();
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void stop() throws InterruptedException {
        release.countDown();
        held.shutdown();
        assertTrue(held.awaitTermination(30, TimeUnit.SECONDS));
    }

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
    void aFolderThatCannotBeForcedAfterARollIsAFailedSegmentSync() throws Exception {
        JournalStats stats = new JournalStats();
        Path folder = Files.createDirectory(tmp.resolve("gone-later"));
        try (SegmentCloser closer = new SegmentCloser(folder, stats)) {
            Files.delete(folder); // forced fine at start; gone now
            FileChannel segment = FileChannel.open(tmp.resolve("x.seg"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            closer.closeLater(segment, 4096); // its bytes are forced fine; the folder's fsync fails

            IOException e = assertThrows(IOException.class, closer::awaitSynced);
            assertTrue(e.getMessage().contains("4096"), e.getMessage());
            assertTrue(e.getCause() instanceof NoSuchFileException, String.valueOf(e.getCause()));
            assertEquals(1, stats.segmentSyncFailures.get());
            assertEquals(0, stats.segmentSyncs.get());
            assertFalse(segment.isOpen(), "the segment is closed all the same");
        }
    }

    /**
     * A file system that refuses to force a directory from the start (some FUSE and shared-folder mounts) is
     * warned of once and not forced: each roll counted a failure and failed the next ack=fsync batch there.
     */
    @Test
    void aFolderThatCouldNotBeForcedAtStartIsNeverForcedAndNoRollFails() throws Exception {
        JournalStats stats = new JournalStats();
        try (SegmentCloser closer = new SegmentCloser(tmp.resolve("never-forceable"), stats)) {
            FileChannel segment = FileChannel.open(tmp.resolve("y.seg"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            closer.closeLater(segment, 8192);
            closer.awaitSynced();
            assertEquals(0, stats.segmentSyncFailures.get());
            assertEquals(1, stats.segmentSyncs.get());
            assertFalse(segment.isOpen());
        }
        assertFalse(DirectorySync.probe(tmp.resolve("never-forceable")).supported());
        assertTrue(DirectorySync.probe(tmp).supported());
    }

    @Test
    void aWriterWhoseRollLeftTheFolderUnforcedFailsTheNextForce() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("journal")); // forceable at start
        Path away = tmp.resolve("away");
        JournalStats stats = new JournalStats();
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 4 * SEGMENT, stats,
                        JournalWriterHooks.DEFAULTS.withCloser(new SegmentCloser(dir, stats, held)));
             AutoCloseable letGo = release::countDown) {
            w.awaitFileWork(); // the new journal's folder is forced, fine
            holdTheCloser();
            rollOnce(w, dir);

            Files.move(dir, away);
            release.countDown();
            w.awaitFileWork();
            Files.move(away, dir);

            assertEquals(1, stats.segmentSyncFailures.get());
            UncheckedIOException e = assertThrows(UncheckedIOException.class, w::force, "ack=fsync's next batch fails");
            assertTrue(e.getCause().getMessage().contains("fsync of closed journal segment 0"), e.getCause().getMessage());
            w.force(); // reported once
        }
    }

    @Test
    void aNewJournalWhoseFolderCannotBeForcedFailsTheFirstForce() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("journal")); // forceable at start
        Path away = tmp.resolve("away");
        JournalStats stats = new JournalStats();
        holdTheCloser();
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 4 * SEGMENT, stats,
                        JournalWriterHooks.DEFAULTS.withCloser(new SegmentCloser(dir, stats, held)));
             AutoCloseable letGo = release::countDown) {
            Files.move(dir, away);
            release.countDown();
            w.awaitFileWork();
            Files.move(away, dir);

            assertEquals(1, stats.segmentSyncFailures.get());
            UncheckedIOException e = assertThrows(UncheckedIOException.class, w::force);
            assertTrue(e.getCause().getMessage().contains("new journal segment 0"), e.getCause().getMessage());
            w.force();
        }
    }

    /** Writes until the writer has rolled to a second segment. */
    private static void rollOnce(JournalWriter w, Path dir) {
        Random rnd = new Random(5);
        MutableEvent slot = new MutableEvent();
        int n = 0;
        while (Segments.list(dir).size() < 2) {
            assertTrue(w.tryAppend(EventSpec.random(n++, rnd, 64 * 1024).fill(slot)));
            w.flush();
        }
    }
}
