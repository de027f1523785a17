package io.trackedge.journal;

import static io.trackedge.journal.ReadBack.SEGMENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A crash can leave the newest segment ending anywhere inside a record. Readers must get exactly the
 * whole records before the cut, and a writer opening the directory must cut the tail and go on
 * appending after the kept records.
 */
class TornTailTest {

    @TempDir
    Path tmp;

    private final Random rnd = new Random(11);
    private List<EventSpec> specs;
    private List<ReadBack.Read> reads;
    private byte[] segment;

    @BeforeEach
    void writeTemplate() throws Exception {
        Path template = tmp.resolve("template");
        specs = new ArrayList<>(EventSpec.randomList(0, 24, rnd));
        specs.add(EventSpec.random(24, rnd, 600)); // a last record with a URL-sized attribute: many cut points
        try (JournalWriter w = JournalWriter.open(template, SEGMENT, 4 * SEGMENT, new JournalStats())) {
            ReadBack.append(w, specs, rnd);
        }
        reads = ReadBack.readAll(template, 0);
        ReadBack.assertExactly(specs, reads, 0);
        segment = Files.readAllBytes(Segments.path(template, 0));
        assertEquals(reads.get(reads.size() - 1).next(), segment.length);
    }

    @Test
    void everyCutInsideTheLastRecordAndSomeInsideEarlierOnesKeepsExactlyTheWholeRecordsBeforeIt() throws Exception {
        TreeSet<Integer> cuts = new TreeSet<>();
        ReadBack.Read last = reads.get(reads.size() - 1);
        for (long c = last.position() + 1; c < last.next(); c++) {
            cuts.add((int) c);
        }
        for (int i : new int[] {0, 1, 7, 12}) {
            ReadBack.Read r = reads.get(i);
            long size = r.next() - r.position();
            for (long off : new long[] {1, 3, 4, 7, Framing.HEADER, Framing.HEADER + 1, size / 2, size - 1}) {
                cuts.add((int) (r.position() + off));
            }
        }
        assertTrue(cuts.size() > 600, "cut points: " + cuts.size());

        int n = 0;
        for (int cut : cuts) {
            checkCut(tmp.resolve("cut-" + n++), cut);
        }
    }

    @Test
    void aCutAtARecordBoundaryIsNotATornTail() throws Exception {
        checkCut(tmp.resolve("boundary"), (int) reads.get(10).next());
        checkCut(tmp.resolve("whole"), segment.length);
    }

    @Test
    void aTornFirstRecordOfANewlyRolledSegmentLeavesTheOlderSegmentsWhole() throws Exception {
        Path dir = tmp.resolve("rolled");
        List<EventSpec> big = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            big.add(EventSpec.random(i, rnd, 7500));
        }
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 4 * SEGMENT, new JournalStats())) {
            ReadBack.append(w, big, rnd);
        }
        List<Long> bases = Segments.list(dir);
        assertEquals(2, bases.size(), "two segments: " + bases);
        List<ReadBack.Read> all = ReadBack.readAll(dir, 0);
        int firstOfLast = 0;
        while (all.get(firstOfLast).position() < bases.get(1)) {
            firstOfLast++;
        }
        ReadBack.Read torn = all.get(firstOfLast);
        long cutInFile = (torn.next() - torn.position()) / 2;
        try (var ch = java.nio.channels.FileChannel.open(Segments.path(dir, bases.get(1)), java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(cutInFile);
        }

        try (JournalReader r = new JournalReader(dir, 0, null)) {
            ReadBack.assertExactly(big.subList(0, firstOfLast), ReadBack.drain(r), 0);
            assertEquals(bases.get(1), r.position());
            assertEquals(0, r.damagedRegions());
        }
        JournalStats stats = new JournalStats();
        List<EventSpec> more = EventSpec.randomList(5000, 5, rnd);
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 4 * SEGMENT, stats)) {
            assertEquals(cutInFile, stats.tornTailBytesCut.get());
            assertEquals(bases.get(1), w.flushedPosition());
            ReadBack.append(w, more, rnd);
        }
        List<EventSpec> expected = new ArrayList<>(big.subList(0, firstOfLast));
        expected.addAll(more);
        ReadBack.assertExactly(expected, ReadBack.readAll(dir, 0), 0);
    }

    /**
     * Regression: recovery read the newest segment whole into one array, so a segment past 2 GiB (the
     * largest array; past the heap sooner) failed every start with an OutOfMemoryError, and systemd
     * restarted it into the same. Here the segment is mostly a hole (zeros, which take no disk), with
     * whole records before and after it and a torn one at its end.
     */
    @Test
    void aNewestSegmentPastTwoGibibytesIsCutToItsLastWholeRecord() throws Exception {
        Path dir = tmp.resolve("huge");
        Files.createDirectories(dir);
        long resumeAt = (2L << 30) + 4096;
        long wholeEnd = resumeAt + segment.length;
        ReadBack.Read last = reads.get(reads.size() - 1);
        try (FileChannel f = FileChannel.open(Segments.path(dir, 0), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            f.write(ByteBuffer.wrap(segment), 0);
            f.write(ByteBuffer.wrap(segment), resumeAt);
            f.write(ByteBuffer.wrap(segment, (int) last.position(), 100), wholeEnd);
        }
        JournalStats stats = new JournalStats();
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 4 * SEGMENT, stats)) {
            assertEquals(100, stats.tornTailBytesCut.get());
            assertEquals(wholeEnd, w.flushedPosition());
            assertEquals(wholeEnd, Files.size(Segments.path(dir, 0)));
        }
    }

    private void checkCut(Path dir, int cut) throws Exception {
        Files.createDirectories(dir);
        Files.write(Segments.path(dir, 0), Arrays.copyOf(segment, cut));
        int whole = 0;
        while (whole < reads.size() && reads.get(whole).next() <= cut) {
            whole++;
        }
        long keptEnd = whole == 0 ? 0 : reads.get(whole - 1).next();
        String at = "cut at byte " + cut + " (inside record " + whole + ")";

        try (JournalReader r = new JournalReader(dir, 0, null)) {
            List<ReadBack.Read> got = ReadBack.drain(r);
            ReadBack.assertExactly(specs.subList(0, whole), got, 0);
            assertEquals(keptEnd, r.position(), at);
            assertEquals(0, r.read((p, nx, b, o, l) -> { }, 10), at + ": nothing after the cut, however often asked");
            assertEquals(0, r.damagedRegions(), at + ": a torn tail of the newest segment is not yet written, not damage");
        }

        JournalStats stats = new JournalStats();
        List<EventSpec> more = EventSpec.randomList(1000, 3, rnd);
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 4 * SEGMENT, stats)) {
            assertEquals(cut - keptEnd, stats.tornTailBytesCut.get(), at + ": bytes cut");
            assertEquals(keptEnd, Files.size(Segments.path(dir, 0)), at + ": file cut to the whole records");
            assertEquals(keptEnd, w.flushedPosition(), at);
            assertEquals(keptEnd, stats.sizeBytes.get(), at);
            ReadBack.append(w, more, rnd);
        }
        List<EventSpec> expected = new ArrayList<>(specs.subList(0, whole));
        expected.addAll(more);
        ReadBack.assertExactly(expected, ReadBack.readAll(dir, 0), 0);
    }
}
