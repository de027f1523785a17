package io.trackedge.journal;

import static io.trackedge.journal.ReadBack.SEGMENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Damage inside a segment costs the records it hit and no others: the reader hands out every
 * record before and after it, each exactly as written at its own position, and reports the bytes it
 * passed over as one region. A writer reopening the directory keeps the records after damage in its
 * newest segment and cuts only a torn tail.
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

    private List<EventSpec> specs;
    /** The journal as written, read back before any damage. */
    private List<ReadBack.Read> clean;

    /** Two or more segments of records, most of them 6 to 8 KB, one in twenty small. */
    private void writeSegments(long seed) throws Exception {
        Random rnd = new Random(seed);
        specs = new ArrayList<>();
        for (int i = 0; i < 800; i++) {
            specs.add(rnd.nextInt(20) == 0 ? EventSpec.random(i, rnd, 0) : EventSpec.random(i, rnd, 6000 + rnd.nextInt(2000)));
        }
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 8 * SEGMENT, new JournalStats())) {
            ReadBack.append(w, specs, rnd);
        }
        assertTrue(Segments.list(dir).size() >= 2, "at least two segments: " + Segments.list(dir));
        clean = ReadBack.readAll(dir, 0);
        ReadBack.assertExactly(specs, clean, 0);
    }

    /** How many records lie wholly in the first segment. */
    private int inFirstSegment() {
        long nextBase = Segments.list(dir).get(1);
        int n = 0;
        while (clean.get(n).next() <= nextBase) {
            n++;
        }
        return n;
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void aFlippedByteCostsTheRecordItHitAndNoOther(Where where) throws Exception {
        writeSegments(21);
        int damaged = inFirstSegment() / 2;
        ReadBack.Read victim = clean.get(damaged);
        int size = (int) (victim.next() - victim.position());
        int offset = where.offset >= 0 ? where.offset : where.offset == -1 ? size - 1 : Framing.HEADER + (size - Framing.HEADER) / 2;
        flip(0, victim.position() + offset);

        try (JournalReader r = new JournalReader(dir, 0, null)) {
            assertReadAllBut(r, damaged, damaged + 1);
            assertEquals(1, r.damagedRegions(), "one damaged region reported");
            assertEquals(size, r.damagedBytes(), "the skipped bytes: the damaged record's");
            assertEquals(clean.get(clean.size() - 1).next(), r.position());
        }

        // A writer opening the directory leaves a closed segment alone: its damage is not a torn tail.
        JournalStats stats = new JournalStats();
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 8 * SEGMENT, stats)) {
            assertEquals(0, stats.tornTailBytesCut.get());
            assertEquals(clean.get(clean.size() - 1).next(), w.flushedPosition());
        }
    }

    /** The last record of a closed segment: nothing after it to trust in that segment, so the region runs to the next. */
    @Test
    void damageToTheLastRecordOfAClosedSegmentRunsToTheNextSegment() throws Exception {
        writeSegments(22);
        int last = inFirstSegment() - 1;
        ReadBack.Read victim = clean.get(last);
        flip(0, victim.position() + Framing.HEADER + 1);
        long nextBase = Segments.list(dir).get(1);

        try (JournalReader r = new JournalReader(dir, 0, null)) {
            assertReadAllBut(r, last, last + 1);
            assertEquals(1, r.damagedRegions());
            assertEquals(nextBase - victim.position(), r.damagedBytes());
        }
    }

    /**
     * A stretch of random bytes across several records (a bad disk block): only records wholly
     * outside it come out, each exactly as written; no piece of the noise is taken for a record.
     */
    @ParameterizedTest
    @ValueSource(ints = {4096, 65536, 1 << 20})
    void aStretchOfNoiseCostsTheRecordsItTouches(int length) throws Exception {
        writeSegments(23);
        int inFirst = inFirstSegment();
        byte[] original = Files.readAllBytes(Segments.path(dir, 0));
        Random noise = new Random(length);
        for (int round = 0; round < 4; round++) {
            long start = clean.get(inFirst / 4).position() + noise.nextInt(20_000);
            byte[] bytes = new byte[length];
            noise.nextBytes(bytes);
            try (RandomAccessFile f = new RandomAccessFile(Segments.path(dir, 0).toFile(), "rw")) {
                f.seek(start);
                f.write(bytes);
            }
            int from = 0;
            while (clean.get(from).next() <= start) {
                from++;
            }
            int to = from;
            while (clean.get(to).position() < start + length) {
                to++;
            }
            try (JournalReader r = new JournalReader(dir, 0, null)) {
                assertReadAllBut(r, from, to);
                assertEquals(1, r.damagedRegions(), "round " + round);
                assertEquals(clean.get(to).position() - clean.get(from).position(), r.damagedBytes(), "round " + round);
            }
            Files.write(Segments.path(dir, 0), original);
        }
    }

    /**
     * The same in the newest segment, where more may be written: read by this process (up to the
     * writer's flushed position, reopened over the damage) and by another (the files as they are,
     * where the last record could be half written).
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aStretchOfNoiseInTheNewestSegmentCostsTheRecordsItTouches(boolean inProcess) throws Exception {
        Random rnd = new Random(26);
        specs = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            specs.add(EventSpec.random(i, rnd, 6000 + rnd.nextInt(2000)));
        }
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 8 * SEGMENT, new JournalStats())) {
            ReadBack.append(w, specs, rnd);
        }
        assertEquals(1, Segments.list(dir).size());
        clean = ReadBack.readAll(dir, 0);
        long start = clean.get(100).position() + 3000;
        byte[] bytes = new byte[65536];
        new Random(27).nextBytes(bytes);
        try (RandomAccessFile f = new RandomAccessFile(Segments.path(dir, 0).toFile(), "rw")) {
            f.seek(start);
            f.write(bytes);
        }
        int to = 101;
        while (clean.get(to).position() < start + bytes.length) {
            to++;
        }
        JournalStats stats = new JournalStats();
        try (JournalWriter w = inProcess ? JournalWriter.open(dir, SEGMENT, 8 * SEGMENT, stats) : null;
             JournalReader r = new JournalReader(dir, 0, inProcess ? w::flushedPosition : null)) {
            assertEquals(0, stats.tornTailBytesCut.get(), "nothing cut: the damage is not a tail");
            assertReadAllBut(r, 100, to);
            assertEquals(1, r.damagedRegions());
            assertEquals(0, r.read((p, n, b, o, l) -> { }, 10), "nothing more, however often asked");
        }
    }

    /** Damage that reads as the end of what is written, or as a record still being written. */
    enum LooksLikeAnEnd {
        /** A stretch of zeros where records were (a power cut's usual leftover). */
        ZEROS,
        /** A record's length made 64 KiB longer, past the end of the segment. */
        LENGTH_PAST_THE_END
    }

    /**
     * In the newest segment, read by this process up to the writer's flushed position: zeros with
     * records after them, and a length running past the end with a record to trust after it, are
     * damage, passed over at once rather than waited at until the segment rolls; the records written
     * later are read on. A length running past the end with only the last record after it cannot be
     * told from a record being written until the next records come, and then it is passed too.
     */
    @ParameterizedTest
    @EnumSource(LooksLikeAnEnd.class)
    void damageThatLooksLikeAnEndIsPassedInTheNewestSegment(LooksLikeAnEnd kind) throws Exception {
        Random rnd = writeOneSegment(28);
        int from;
        int to;
        if (kind == LooksLikeAnEnd.ZEROS) {
            from = 10;
            to = 10;
            long start = clean.get(from).position();
            while (clean.get(to).position() < start + 4096) {
                to++;
            }
            try (RandomAccessFile f = new RandomAccessFile(Segments.path(dir, 0).toFile(), "rw")) {
                f.seek(start);
                f.write(new byte[4096]);
            }
        } else {
            from = 30;
            to = 31;
            lengthenPastTheEnd(clean.get(from));
        }
        JournalStats stats = new JournalStats();
        List<EventSpec> later = EventSpec.randomList(40, 5, rnd);
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 8 * SEGMENT, stats);
             JournalReader r = new JournalReader(dir, 0, w::flushedPosition)) {
            assertEquals(0, stats.tornTailBytesCut.get(), "the records after the damage are kept");
            assertReadAllBut(r, from, to);
            assertEquals(1, r.damagedRegions());
            assertEquals(clean.get(to).position() - clean.get(from).position(), r.damagedBytes());

            ReadBack.append(w, later, rnd);
            ReadBack.assertExactly(later, ReadBack.drain(r), clean.get(clean.size() - 1).next());
        }
    }

    @Test
    void aLengthRunningPastTheEndBeforeTheLastRecordIsPassedOnceMoreRecordsCome() throws Exception {
        Random rnd = writeOneSegment(29);
        ReadBack.Read victim = clean.get(38);
        lengthenPastTheEnd(victim);
        List<EventSpec> later = EventSpec.randomList(40, 5, rnd);
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 8 * SEGMENT, new JournalStats());
             JournalReader r = new JournalReader(dir, 0, w::flushedPosition)) {
            ReadBack.assertExactly(specs.subList(0, 38), ReadBack.drain(r), 0);
            assertEquals(0, r.damagedRegions(), "maybe a record being written: waited at");

            ReadBack.append(w, later, rnd);
            List<EventSpec> expected = new ArrayList<>(specs.subList(39, 40));
            expected.addAll(later);
            ReadBack.assertExactly(expected, ReadBack.drain(r), clean.get(39).position());
            assertEquals(1, r.damagedRegions());
            assertEquals(victim.next() - victim.position(), r.damagedBytes());
        }
    }

    /**
     * Damage in the newest segment while the writer goes on: the in-process reader waits past it
     * for records it can trust, and then reads on, having skipped only the damaged record.
     */
    @Test
    void damageInTheNewestSegmentIsPassedOnceTheNextRecordsAreWritten() throws Exception {
        Random rnd = new Random(24);
        List<EventSpec> first = EventSpec.randomList(0, 30, rnd);
        List<EventSpec> later = EventSpec.randomList(30, 30, rnd);
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 8 * SEGMENT, new JournalStats());
             JournalReader r = new JournalReader(dir, 0, w::flushedPosition)) {
            ReadBack.append(w, first, rnd);
            List<ReadBack.Read> before = ReadBack.drain(r);
            ReadBack.assertExactly(first, before, 0);
            ReadBack.Read victim = before.get(before.size() - 1);
            flip(0, victim.position() + Framing.HEADER + 2);

            // Read again from the victim: nothing after it yet, so nothing to trust; not reported yet.
            try (JournalReader again = new JournalReader(dir, victim.position(), w::flushedPosition)) {
                assertEquals(0, again.read((p, n, b, o, l) -> { }, 10));
                assertEquals(0, again.damagedRegions());

                ReadBack.append(w, later, rnd);
                List<ReadBack.Read> after = ReadBack.drain(again);
                ReadBack.assertExactly(later, after, victim.next());
                assertEquals(1, again.damagedRegions());
                assertEquals(victim.next() - victim.position(), again.damagedBytes());
            }
        }
    }

    /**
     * A crash after damage in the newest segment: the reopened writer keeps the whole records after
     * the damage, cuts only the torn tail, and appends after them.
     */
    @Test
    void aReopenedWriterKeepsTheRecordsAfterDamageAndCutsOnlyTheTornTail() throws Exception {
        Random rnd = writeOneSegment(25);
        List<EventSpec> written = specs;
        flip(0, clean.get(10).position() + Framing.HEADER + 3);
        long wholeEnd = clean.get(clean.size() - 1).next();
        try (RandomAccessFile f = new RandomAccessFile(Segments.path(dir, 0).toFile(), "rw")) {
            f.seek(wholeEnd);
            f.write(new byte[] {0, 0, 1, 0, 7, 7, 7}); // a record's first bytes, cut by the crash
        }

        JournalStats stats = new JournalStats();
        List<EventSpec> more = EventSpec.randomList(40, 5, rnd);
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 8 * SEGMENT, stats)) {
            assertEquals(7, stats.tornTailBytesCut.get(), "only the torn tail is cut");
            assertEquals(wholeEnd, w.flushedPosition());
            ReadBack.append(w, more, rnd);
        }
        try (JournalReader r = new JournalReader(dir, 0, null)) {
            List<ReadBack.Read> got = ReadBack.drain(r);
            List<EventSpec> expected = new ArrayList<>(written.subList(0, 10));
            expected.addAll(written.subList(11, 40));
            expected.addAll(more);
            assertEquals(expected.size(), got.size());
            ReadBack.assertExactly(written.subList(0, 10), got.subList(0, 10), 0);
            ReadBack.assertExactly(written.subList(11, 40), got.subList(10, 39), clean.get(11).position());
            ReadBack.assertExactly(more, got.subList(39, got.size()), wholeEnd);
            assertEquals(1, r.damagedRegions());
        }
    }

    /**
     * Regression: at a run of zeros the reader read on to the run's end before judging it, its buffer
     * doubling as it went, so a run past 1 GiB (a power cut's zeroed extent) failed every read of the
     * sink (NegativeArraySizeException), and a shorter one could take the heap. A run longer than the
     * reader's buffer is damage now: one region, and the records after it are read on. The runs are
     * holes in a sparse file, which take no disk.
     */
    @ParameterizedTest
    @ValueSource(longs = {12L << 20, (1L << 30) + (12L << 20)})
    void aRunOfZerosLongerThanTheReadersBufferIsDamageAndTheRecordsAfterItAreRead(long zeros) throws Exception {
        writeOneSegment(30);
        byte[] written = Files.readAllBytes(Segments.path(dir, 0));
        int split = (int) clean.get(20).position();
        Files.delete(Segments.path(dir, 0));
        try (FileChannel f = FileChannel.open(Segments.path(dir, 0), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            f.write(ByteBuffer.wrap(written, 0, split), 0);
            f.write(ByteBuffer.wrap(written, split, written.length - split), split + zeros);
        }
        try (JournalReader r = new JournalReader(dir, 0, null)) {
            List<ReadBack.Read> got = ReadBack.drain(r);
            assertEquals(specs.size(), got.size());
            ReadBack.assertExactly(specs.subList(0, 20), got.subList(0, 20), 0);
            ReadBack.assertExactly(specs.subList(20, 40), got.subList(20, 40), split + zeros);
            assertEquals(1, r.damagedRegions());
            assertEquals(zeros, r.damagedBytes());
            assertTrue(r.bufferBytes() <= JournalReader.MAX_BUFFER, "buffer: " + r.bufferBytes());
        }
    }

    /** Reads everything and checks it is every record but {@code [from, to)}, each at its own position. */
    private void assertReadAllBut(JournalReader r, int from, int to) {
        List<ReadBack.Read> got = ReadBack.drain(r);
        assertEquals(specs.size() - (to - from), got.size(), "every record but the " + (to - from) + " damaged");
        ReadBack.assertExactly(specs.subList(0, from), got.subList(0, from), 0);
        ReadBack.assertExactly(specs.subList(to, specs.size()), got.subList(from, got.size()), clean.get(to).position());
    }

    /** Forty small records in one segment, kept as {@link #specs} and {@link #clean}; returns the random source to go on with. */
    private Random writeOneSegment(long seed) throws Exception {
        Random rnd = new Random(seed);
        specs = new ArrayList<>(EventSpec.randomList(0, 40, rnd));
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 8 * SEGMENT, new JournalStats())) {
            ReadBack.append(w, specs, rnd);
        }
        clean = ReadBack.readAll(dir, 0);
        return rnd;
    }

    /** Makes a record's length 64 KiB longer: past the end of the segment. */
    private void lengthenPastTheEnd(ReadBack.Read record) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(Segments.path(dir, 0).toFile(), "rw")) {
            f.seek(record.position() + 1);
            int b = f.read();
            f.seek(record.position() + 1);
            f.write(b + 1);
        }
    }

    private void flip(long base, long at) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(Segments.path(dir, base).toFile(), "rw")) {
            f.seek(at - base);
            int b = f.read();
            f.seek(at - base);
            f.write(b ^ 0x10);
        }
    }
}
