package io.trackedge.journal;

import static io.trackedge.journal.ReadBack.SEGMENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damage in the middle of a closed segment: the reader hands out the records before it, reports one
 * damaged region, returns nothing else from that segment and carries on with the next segment.
 */
class CorruptionTest {

    @TempDir
    Path dir;

    /** Which byte of the middle record is flipped. */
    enum Where {
        LENGTH_HIGH_BYTE(0),
        LENGTH_LOW_BYTE(3),
        CHECKSUM(5),
        FIRST_PAYLOAD_BYTE(Framing.HEADER),
        MIDDLE_PAYLOAD_BYTE(-2),
        LAST_PAYLOAD_BYTE(-1);

        final int offset;

        Where(int offset) {
            this.offset = offset;
        }
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void damageInAClosedSegmentSkipsTheRestOfItAndReadsTheNextSegment(Where where) throws Exception {
        Random rnd = new Random(21);
        List<EventSpec> specs = new ArrayList<>();
        for (int i = 0; i < 800; i++) {
            // ~5% of records are small so that small and large records alternate in both segments.
            specs.add(rnd.nextInt(20) == 0 ? EventSpec.random(i, rnd, 0) : EventSpec.random(i, rnd, 6000 + rnd.nextInt(2000)));
        }
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 8 * SEGMENT, new JournalStats())) {
            ReadBack.append(w, specs, rnd);
        }
        List<Long> bases = Segments.list(dir);
        assertTrue(bases.size() >= 2, "at least two segments: " + bases);
        long nextBase = bases.get(1);
        List<ReadBack.Read> clean = ReadBack.readAll(dir, 0);
        ReadBack.assertExactly(specs, clean, 0);

        int inFirst = 0;
        while (clean.get(inFirst).next() <= nextBase) {
            inFirst++;
        }
        int damaged = inFirst / 2;
        ReadBack.Read victim = clean.get(damaged);
        int size = (int) (victim.next() - victim.position());
        int offset = where.offset >= 0 ? where.offset : where.offset == -1 ? size - 1 : Framing.HEADER + (size - Framing.HEADER) / 2;
        try (RandomAccessFile f = new RandomAccessFile(Segments.path(dir, 0).toFile(), "rw")) {
            long at = victim.position() + offset;
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x10);
        }

        try (JournalReader r = new JournalReader(dir, 0, null)) {
            List<ReadBack.Read> got = ReadBack.drain(r);
            List<EventSpec> expected = new ArrayList<>(specs.subList(0, damaged));
            int firstOfNext = inFirst;
            expected.addAll(specs.subList(firstOfNext, specs.size()));
            assertEquals(expected.size(), got.size(), "records before the damage and every record after the first segment");
            ReadBack.assertExactly(specs.subList(0, damaged), got.subList(0, damaged), 0);
            ReadBack.assertExactly(specs.subList(firstOfNext, specs.size()), got.subList(damaged, got.size()), nextBase);
            for (ReadBack.Read read : got) {
                assertTrue(read.n() < damaged || read.n() >= firstOfNext, "e" + read.n() + " lies after the damage in its segment");
            }
            assertEquals(1, r.damagedRegions(), "one damaged region reported");
            assertEquals(nextBase - victim.position(), r.damagedBytes(), "the skipped bytes: from the damage to the segment's end");
            assertEquals(clean.get(clean.size() - 1).next(), r.position());
        }

        // A writer opening the directory leaves a closed segment alone: its damage is not a torn tail.
        JournalStats stats = new JournalStats();
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 8 * SEGMENT, stats)) {
            assertEquals(0, stats.tornTailBytesCut.get());
            assertEquals(clean.get(clean.size() - 1).next(), w.flushedPosition());
        }
    }
}
