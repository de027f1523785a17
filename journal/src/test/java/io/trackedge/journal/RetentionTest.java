package io.trackedge.journal;

import static io.trackedge.journal.ReadBack.SEGMENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Segment roll, deletion of segments every sink has passed, and the size cap. */
class RetentionTest {

    @TempDir
    Path dir;

    private final Random rnd = new Random(31);
    private final MutableEvent slot = new MutableEvent();

    private EventSpec big(int n) {
        return EventSpec.random(n, rnd, 7000 + rnd.nextInt(1000));
    }

    /**
     * {@link JournalWriter#roomFloor}: -1 while the closed segments fit in nine tenths of the cap less the
     * open segment; then the end of the newest closed segment that does not fit, counted from the newest.
     */
    @Test
    void theRoomFloorIsTheEndOfTheClosedSegmentsPastNineTenthsOfTheCap() throws Exception {
        JournalStats stats = new JournalStats();
        // cap 10 segments: room for 10 * 0.9 - 1 = 8 closed segments
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 10 * SEGMENT, stats)) {
            int n = 0;
            while (Segments.list(dir).size() < 9) { // 8 closed
                assertTrue(w.tryAppend(big(n++).fill(slot)));
                if (n % 16 == 0) {
                    w.flush();
                }
            }
            w.flush();
            assertEquals(-1, w.roomFloor(), "8 closed segments fit");
            while (Segments.list(dir).size() < 10) { // 9 closed: the oldest no longer fits
                assertTrue(w.tryAppend(big(n++).fill(slot)));
                if (n % 16 == 0) {
                    w.flush();
                }
            }
            w.flush();
            // From the newest closed segment back, by the files' sizes: the end of the first that passes the room.
            List<Long> bases = Segments.list(dir);
            long sum = 0;
            long expected = -1;
            for (int i = bases.size() - 2; i >= 0 && expected < 0; i--) {
                sum += Files.size(Segments.path(dir, bases.get(i)));
                if (sum > ClosedSegments.roomBytes(SEGMENT, 10 * SEGMENT)) {
                    expected = bases.get(i + 1);
                }
            }
            assertEquals(bases.get(1), expected, "the oldest of the 9 closed segments is past the room");
            assertEquals(expected, w.roomFloor());

            // Releasing the segments before it takes them out of the count, not the floor's position.
            w.releaseBefore(bases.get(1));
            w.flush();
            w.awaitFileWork();
            assertEquals(expected, w.roomFloor());
        }
        // Reopened (the oldest segment deleted, 8 closed left) under a cap of 9 segments, room for 7.1: the
        // floor is computed from the segments found, the end of the oldest.
        List<Long> left = Segments.list(dir);
        assertEquals(9, left.size());
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 9 * SEGMENT, stats)) {
            assertEquals(left.get(1), w.roomFloor());
        }
        // A cap of two segments leaves less room than one: never a floor, whatever is kept.
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 2 * SEGMENT, stats)) {
            assertEquals(-1, w.roomFloor());
        }
    }

    @Test
    void closedSegmentsAreDeletedOnlyOnceTheCursorPassedThemAndTheActiveOneNever() throws Exception {
        List<EventSpec> specs = new ArrayList<>();
        JournalStats stats = new JournalStats();
        List<Long> bases;
        long cursor;
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 16 * SEGMENT, stats);
             JournalReader reader = new JournalReader(dir, 0, w::flushedPosition)) {
            while (Segments.list(dir).size() < 4) {
                EventSpec s = big(specs.size());
                assertTrue(w.tryAppend(s.fill(slot)));
                specs.add(s);
                if (specs.size() % 16 == 0) {
                    w.flush();
                }
            }
            w.flush();
            bases = Segments.list(dir);
            assertEquals(4, bases.size());
            long active = bases.get(3);
            assertEquals(Segments.totalBytes(dir), stats.sizeBytes.get());

            // The cursor stands before the last record of segment 0: nothing may go.
            List<ReadBack.Read> consumed = new ArrayList<>();
            while (true) {
                List<ReadBack.Read> one = new ArrayList<>();
                reader.read((p, nx, b, o, l) -> one.add(new ReadBack.Read(p, nx, RecordCodec.decode(b, o, l))), 1);
                consumed.addAll(one);
                if (one.get(0).next() == bases.get(1)) {
                    break;
                }
            }
            long beforeLastOfFirst = consumed.get(consumed.size() - 1).position();
            w.releaseBefore(beforeLastOfFirst);
            w.flush();
            w.awaitFileWork();
            assertEquals(bases, Segments.list(dir), "segment 0 still has an unread record");
            assertEquals(0, stats.segmentsDeleted.get());

            // Past the end of segment 0 (exactly at the start of segment 1): segment 0 goes, at the next flush.
            w.releaseBefore(reader.position());
            w.awaitFileWork();
            assertEquals(bases, Segments.list(dir), "deletion waits for the writer's next flush");
            w.flush();
            w.awaitFileWork(); // the closer's thread deletes what the flush handed it
            assertEquals(bases.subList(1, 4), Segments.list(dir));
            assertEquals(1, stats.segmentsDeleted.get());
            assertEquals(Segments.totalBytes(dir), stats.sizeBytes.get());

            // A cursor inside segment 1, or one that moves back, deletes nothing more.
            consumed.addAll(readUpTo(reader, 3));
            w.releaseBefore(reader.position());
            w.releaseBefore(bases.get(1));
            w.flush();
            w.awaitFileWork();
            assertEquals(bases.subList(1, 4), Segments.list(dir));

            // The cursor at the very end: every closed segment goes, the active one stays.
            consumed.addAll(ReadBack.drain(reader));
            assertEquals(w.flushedPosition(), reader.position());
            w.releaseBefore(reader.position());
            w.flush();
            w.awaitFileWork();
            assertEquals(List.of(active), Segments.list(dir));
            assertEquals(3, stats.segmentsDeleted.get());
            assertEquals(Files.size(Segments.path(dir, active)), stats.sizeBytes.get());
            ReadBack.assertExactly(specs, consumed, 0);

            // The active segment survives even a cursor past anything written.
            w.releaseBefore(Long.MAX_VALUE);
            w.flush();
            w.awaitFileWork();
            assertEquals(List.of(active), Segments.list(dir));
            cursor = reader.position();
        }

        // Positions continue across a restart; a reader that kept its cursor gets exactly the new records.
        JournalStats stats2 = new JournalStats();
        List<EventSpec> more = new ArrayList<>();
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 16 * SEGMENT, stats2)) {
            assertEquals(cursor, w.flushedPosition());
            assertEquals(Segments.totalBytes(dir), stats2.sizeBytes.get());
            for (int i = 0; i < 600; i++) {
                more.add(big(specs.size() + i));
            }
            ReadBack.append(w, more, rnd);
            assertTrue(Segments.list(dir).size() >= 2, "rolled again after the restart");
        }
        ReadBack.assertExactly(more, ReadBack.readAll(dir, cursor), cursor);

        // A reader whose cursor points at deleted data resumes at the oldest kept segment and says so.
        try (JournalReader r = new JournalReader(dir, 0, null)) {
            List<ReadBack.Read> got = ReadBack.drain(r);
            long oldest = Segments.list(dir).get(0);
            assertEquals(bases.get(3), oldest);
            assertEquals(oldest, got.get(0).position());
            assertEquals(1, r.damagedRegions());
            assertEquals(oldest, r.damagedBytes());
            assertEquals(more.get(more.size() - 1).n(), got.get(got.size() - 1).n());
        }
    }

    private static List<ReadBack.Read> readUpTo(JournalReader reader, int max) {
        List<ReadBack.Read> out = new ArrayList<>();
        reader.read((p, nx, b, o, l) -> out.add(new ReadBack.Read(p, nx, RecordCodec.decode(b, o, l))), max);
        assertEquals(max, out.size());
        return out;
    }

    @Test
    void atTheCapAppendsAreRefusedAndCountedUntilSegmentsAreReleased() throws Exception {
        long cap = 2 * SEGMENT;
        JournalStats stats = new JournalStats();
        List<EventSpec> accepted = new ArrayList<>();
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, cap, stats)) {
            EventSpec refused = null;
            while (refused == null) {
                EventSpec s = big(accepted.size());
                long before = stats.sizeBytes.get();
                if (w.tryAppend(s.fill(slot))) {
                    accepted.add(s);
                    w.flush();
                    assertTrue(stats.sizeBytes.get() <= cap, "never past the cap");
                } else {
                    refused = s;
                    assertTrue(before + Framing.HEADER + s.encode().length > cap, "refused only when it would not fit");
                }
            }
            assertEquals(1, stats.droppedAtCap.get());
            assertEquals(accepted.size(), stats.appendedRecords.get());
            assertFalse(w.tryAppend(refused.fill(slot)), "still at the cap");
            assertEquals(2, stats.droppedAtCap.get());
            w.flush();
            assertEquals(accepted.size(), stats.appendedRecords.get(), "a refused event is not staged");
            ReadBack.assertExactly(accepted, ReadBack.readAll(dir, 0), 0);

            // A sink passing segment 0 frees its space.
            long secondBase = Segments.list(dir).get(1);
            w.releaseBefore(secondBase);
            w.flush();
            w.awaitFileWork();
            assertEquals(1, stats.segmentsDeleted.get());
            EventSpec after = big(accepted.size());
            assertTrue(w.tryAppend(after.fill(slot)), "room again once segment 0 is gone");
            w.flush();
            assertEquals(2, stats.droppedAtCap.get());
            List<EventSpec> expected = new ArrayList<>();
            for (ReadBack.Read r : ReadBack.readAll(dir, secondBase)) {
                expected.add(r.n() < accepted.size() ? accepted.get(r.n()) : after);
            }
            assertEquals(after.n(), expected.get(expected.size() - 1).n());
            ReadBack.assertExactly(expected, ReadBack.readAll(dir, secondBase), secondBase);
        }
    }
}
