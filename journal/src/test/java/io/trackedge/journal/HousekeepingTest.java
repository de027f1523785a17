package io.trackedge.journal;

import static io.trackedge.journal.ReadBack.SEGMENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link JournalWriter#housekeepingDue} warns before a flush would roll, and
 * {@link JournalWriter#housekeep} does that work ahead, so that flushes of up to the room asked for
 * are plain writes; the segments a release frees are deleted on the closer's thread.
 */
class HousekeepingTest {

    private static final long ROOM = 512 << 10;

    @TempDir
    Path dir;

    private final Random rnd = new Random(5);
    private final MutableEvent slot = new MutableEvent();

    @Test
    void aFlushWithinTheRoomNeverRollsOnceHousekeepingIsDoneWhenDue() throws Exception {
        List<EventSpec> specs = new ArrayList<>();
        JournalStats stats = new JournalStats();
        int rolledByHousekeeping = 0;
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 64 * SEGMENT, stats)) {
            while (Segments.list(dir).size() < 5) {
                if (w.housekeepingDue(ROOM)) {
                    int before = Segments.list(dir).size();
                    w.housekeep(ROOM);
                    assertFalse(w.housekeepingDue(ROOM), "still due after housekeeping");
                    assertEquals(before + 1, Segments.list(dir).size(), "housekeeping did not roll");
                    rolledByHousekeeping++;
                }
                // A batch of under ROOM bytes, as an event loop's turn is.
                int segments = Segments.list(dir).size();
                long batch = 0;
                while (batch < ROOM / 4) {
                    EventSpec s = EventSpec.random(specs.size(), rnd, 1000 + rnd.nextInt(3000));
                    assertTrue(w.tryAppend(s.fill(slot)));
                    specs.add(s);
                    batch = w.stagedBytes();
                }
                w.flush();
                assertEquals(segments, Segments.list(dir).size(), "a flush within the room rolled the segment");
            }
        }
        assertEquals(4, rolledByHousekeeping);
        // Nothing lost or cut by the early rolls.
        ReadBack.assertExactly(specs, ReadBack.readAll(dir, 0), 0);
    }

    @Test
    void aReleaseIsNoHousekeepingAndAnyFlushHandsWhatItFreesToTheCloser() throws Exception {
        JournalStats stats = new JournalStats();
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 64 * SEGMENT, stats)) {
            int n = 0;
            while (Segments.list(dir).size() < 3) {
                assertTrue(w.tryAppend(EventSpec.random(n++, rnd, 5000).fill(slot)));
                w.flush();
            }
            assertFalse(w.housekeepingDue(0));
            List<Long> bases = Segments.list(dir);
            // A sink's cursor inside the oldest segment frees nothing.
            w.releaseBefore(bases.get(1) - 1);
            w.flush();
            w.awaitFileWork();
            assertEquals(bases, Segments.list(dir));
            // One that frees a segment is no reason to keep an event loop from writing: its flush
            // makes no call into the file system for it, the closer's thread deletes it.
            w.releaseBefore(bases.get(1));
            assertFalse(w.housekeepingDue(0), "a release is housekeeping");
            assertTrue(w.tryAppend(EventSpec.random(n++, rnd, 100).fill(slot)));
            w.flush();
            w.awaitFileWork();
            assertEquals(bases.subList(1, 3), Segments.list(dir));
            assertEquals(1, stats.segmentsDeleted.get());
            assertEquals(Segments.totalBytes(dir), stats.sizeBytes.get());
        }
    }

    @Test
    void aReleasedSegmentThatCannotBeDeletedFailsNoWriteAndIsTriedAgainAtTheNextRelease() throws Exception {
        JournalStats stats = new JournalStats();
        List<EventSpec> specs = new ArrayList<>();
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 64 * SEGMENT, stats)) {
            while (Segments.list(dir).size() < 4) {
                EventSpec s = EventSpec.random(specs.size(), rnd, 5000);
                assertTrue(w.tryAppend(s.fill(slot)));
                specs.add(s);
                w.flush();
            }
            List<Long> bases = Segments.list(dir);
            // The oldest segment becomes something unlink cannot remove, even for root: a folder with a file in it.
            Path stuck = Segments.path(dir, bases.get(0));
            java.nio.file.Files.delete(stuck);
            java.nio.file.Files.createDirectory(stuck);
            java.nio.file.Files.writeString(stuck.resolve("in-the-way"), "x");
            w.releaseBefore(bases.get(2)); // a sink has passed the two oldest segments

            EventSpec s = EventSpec.random(specs.size(), rnd, 100);
            assertTrue(w.tryAppend(s.fill(slot)));
            long before = w.flushedPosition();
            w.flush(); // a failed deletion never fails a write: its events would be counted as lost
            w.awaitFileWork();
            assertTrue(w.flushedPosition() > before, "the batch was not written");
            // The second segment stays too: the segments kept stay contiguous, with no gap a reader would report as damage.
            assertEquals(0, stats.segmentsDeleted.get());
            assertEquals(1, stats.segmentDeletionFailures.get());
            assertEquals(bases, Segments.list(dir));
            assertFalse(w.housekeepingDue(0), "a failed deletion made every event loop's turn a hand-off");

            w.flush(); // not tried again at every flush: only when a sink moves on
            w.awaitFileWork();
            assertEquals(1, stats.segmentDeletionFailures.get());

            java.nio.file.Files.delete(stuck.resolve("in-the-way")); // the obstacle goes
            w.releaseBefore(bases.get(2) + 1);
            w.flush();
            w.awaitFileWork();
            assertEquals(2, stats.segmentsDeleted.get(), "the next release deletes both");
            assertEquals(List.of(bases.get(2), bases.get(3)), Segments.list(dir));
            assertEquals(Segments.totalBytes(dir), stats.sizeBytes.get());
        }
    }
}
