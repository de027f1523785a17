package io.trackedge.journal;

import static io.trackedge.journal.ReadBack.SEGMENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalRoundTripTest {

    @TempDir
    Path dir;

    @Test
    void aSegmentSizeRefusedMakesNoFolder() {
        Path journal = dir.resolve("journal");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JournalWriter.open(journal, JournalWriter.MAX_SEGMENT_BYTES + 1, Long.MAX_VALUE, new JournalStats()));
        assertTrue(e.getMessage().contains("at most " + JournalWriter.MAX_SEGMENT_BYTES), e.getMessage());
        assertFalse(Files.exists(journal), "a refused size leaves nothing behind");
    }

    @Test
    void recordsWrittenBeforeAndAfterAReopenReadBackInOrderWithContiguousPositions() throws Exception {
        Random rnd = new Random(1);
        List<EventSpec> first = EventSpec.randomList(0, 3000, rnd);
        List<EventSpec> second = EventSpec.randomList(3000, 2000, rnd);

        JournalStats stats = new JournalStats();
        long endOfFirst;
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 16 * SEGMENT, stats)) {
            assertEquals(0, w.flushedPosition());
            ReadBack.append(w, first, rnd);
            endOfFirst = w.flushedPosition();
            assertEquals(first.size(), stats.appendedRecords.get());
            assertEquals(endOfFirst, stats.appendedBytes.get());
        }

        JournalStats stats2 = new JournalStats();
        long end;
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 16 * SEGMENT, stats2)) {
            assertEquals(endOfFirst, w.flushedPosition(), "a reopened writer continues where the last one stopped");
            assertEquals(0, stats2.tornTailBytesCut.get(), "a clean close leaves no torn tail");
            assertEquals(endOfFirst, stats2.sizeBytes.get());
            ReadBack.append(w, second, rnd);
            end = w.flushedPosition();
        }

        List<EventSpec> all = new ArrayList<>(first);
        all.addAll(second);
        try (JournalReader r = new JournalReader(dir, 0, null)) {
            List<ReadBack.Read> reads = ReadBack.drain(r);
            ReadBack.assertExactly(all, reads, 0);
            assertEquals(end, r.position(), "the reader's cursor ends at the writer's end");
            assertEquals(0, r.damagedRegions());
            assertEquals(0, r.read((p, n, b, o, l) -> { }, 10), "nothing past the end");
        }
        assertEquals(end, Segments.totalBytes(dir));
        assertEquals(second.get(0).n(), ReadBack.readAll(dir, endOfFirst).get(0).n(),
                "a reader started at the reopen position gets the first record appended after it");
    }

    @Test
    void recordsSpanningSeveralSegmentsAndRestartsReadBackAsOneSequence() throws Exception {
        Random rnd = new Random(2);
        List<EventSpec> all = new ArrayList<>();
        long[] ends = new long[3];
        for (int round = 0; round < 3; round++) {
            List<EventSpec> batch = new ArrayList<>();
            for (int i = 0; i < 700; i++) {
                // About 5.6 MB a round: each round rolls at least one segment.
                batch.add(EventSpec.random(all.size() + i, rnd, 7000 + rnd.nextInt(1000)));
            }
            try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 16 * SEGMENT, new JournalStats())) {
                assertEquals(round == 0 ? 0 : ends[round - 1], w.flushedPosition());
                ReadBack.append(w, batch, rnd);
                ends[round] = w.flushedPosition();
            }
            all.addAll(batch);
        }
        List<Long> bases = Segments.list(dir);
        assertTrue(bases.size() >= 4, "several segments: " + bases);
        for (int i = 0; i + 1 < bases.size(); i++) {
            long size = Files.size(Segments.path(dir, bases.get(i)));
            assertEquals(bases.get(i + 1), bases.get(i) + size, "segment " + i + " ends where the next begins");
            assertTrue(size <= SEGMENT, "segment " + i + " within the segment size");
        }
        ReadBack.assertExactly(all, ReadBack.readAll(dir, 0), 0);
    }

    @Test
    void aReaderFollowingALiveWriterSeesEachFlushedBatch() throws Exception {
        Random rnd = new Random(3);
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 16 * SEGMENT, new JournalStats());
             JournalReader r = new JournalReader(dir, 0, w::flushedPosition)) {
            List<EventSpec> appended = new ArrayList<>();
            List<ReadBack.Read> seen = new ArrayList<>();
            MutableEvent slot = new MutableEvent();
            for (int batch = 0; batch < 200; batch++) {
                int size = 1 + rnd.nextInt(40);
                for (int i = 0; i < size; i++) {
                    EventSpec s = EventSpec.random(appended.size(), rnd);
                    assertTrue(w.tryAppend(s.fill(slot)));
                    appended.add(s);
                }
                w.flush();
                List<ReadBack.Read> got = ReadBack.drain(r);
                seen.addAll(got);
                assertEquals(appended.size(), seen.size(), "after batch " + batch + " the reader has every flushed record");
                assertEquals(w.flushedPosition(), r.position());
            }
            ReadBack.assertExactly(appended, seen, 0);
        }
    }
}
