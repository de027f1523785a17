package io.trackedge.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scan sees a segment through a window of its least size, and still finds what a read of the
 * whole file finds, wherever a cut, damage or a run of zeros falls against the window's moves. The
 * expected ends come from the records' own positions, not from another scan.
 */
class WholeRecordsScanTest {

    private static final int WINDOW = WholeRecordsScan.MIN_WINDOW;

    @TempDir
    Path tmp;

    private Path file;
    private byte[] whole;
    private List<ReadBack.Read> records;

    /** One segment of about three windows of records, 6 to 8 KB each, one in twenty small. */
    @BeforeEach
    void writeSegment() throws Exception {
        Path dir = tmp.resolve("journal");
        Random rnd = new Random(31);
        List<EventSpec> specs = new ArrayList<>();
        long bytes = 0;
        for (int i = 0; bytes < 3L * WINDOW; i++) {
            EventSpec s = rnd.nextInt(20) == 0 ? EventSpec.random(i, rnd, 0) : EventSpec.random(i, rnd, 6000 + rnd.nextInt(2000));
            specs.add(s);
            bytes += Framing.HEADER + s.encode().length;
        }
        try (JournalWriter w = JournalWriter.open(dir, 16L << 20, 64L << 20, new JournalStats())) {
            ReadBack.append(w, specs, rnd);
        }
        assertEquals(List.of(0L), Segments.list(dir));
        records = ReadBack.readAll(dir, 0);
        ReadBack.assertExactly(specs, records, 0);
        whole = Files.readAllBytes(Segments.path(dir, 0));
        assertTrue(whole.length > 3L * WINDOW);
        file = tmp.resolve("scanned.seg");
    }

    @Test
    void aCutAnywhereKeepsExactlyTheWholeRecordsBeforeIt() throws Exception {
        TreeSet<Integer> cuts = new TreeSet<>();
        Random rnd = new Random(32);
        for (int i = 0; i < 150; i++) {
            cuts.add(1 + rnd.nextInt(whole.length - 1));
        }
        for (int k = 1; k <= 3; k++) { // about where the window moves on
            for (long at : new long[] {(long) k * WINDOW, (long) k * (WINDOW - WholeRecordsScan.LOOKAHEAD)}) {
                ReadBack.Read r = recordAt(at);
                for (long c : new long[] {r.position(), r.position() + 1, r.position() + Framing.HEADER, r.next() - 1, r.next()}) {
                    cuts.add((int) c);
                }
            }
        }
        cuts.add(whole.length);
        Files.write(file, whole);
        for (int cut : cuts.descendingSet()) {
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                f.setLength(cut);
            }
            assertEquals(endOfWholeRecordsUpTo(cut), scan(), "cut at " + cut);
        }
    }

    @Test
    void damageInTheMiddleKeepsTheRecordsAfterItAndACutJustAfterItKeepsThoseBefore() throws Exception {
        for (long at : new long[] {WINDOW / 2, WINDOW - 3, WINDOW + 5, 2L * (WINDOW - WholeRecordsScan.LOOKAHEAD)}) {
            ReadBack.Read hit = recordAt(at);
            int index = records.indexOf(hit);
            byte[] damaged = whole.clone();
            damaged[(int) hit.position() + Framing.HEADER + 1] ^= 0x10;
            Files.write(file, damaged);
            assertEquals(whole.length, scan(), "damage at " + hit.position() + ": every record after it is kept");

            ReadBack.Read next = records.get(index + 1);
            Files.write(file, Arrays.copyOf(damaged, (int) (next.position() + next.next()) / 2));
            assertEquals(hit.position(), scan(), "damage at " + hit.position() + ", then a torn record: cut to before both");
        }
    }

    @Test
    void aRunOfZerosLongerThanTheWindowIsPassedToTheRecordsAfterIt() throws Exception {
        ReadBack.Read split = recordAt(whole.length / 2);
        byte[] zeros = new byte[2 * WINDOW + 13];
        ReadBack.Read last = records.get(records.size() - 1);
        try (var out = Files.newOutputStream(file)) {
            out.write(whole, 0, (int) split.position());
            out.write(zeros);
            out.write(whole, (int) split.position(), whole.length - (int) split.position());
            out.write(whole, (int) last.position(), 100); // a torn record
        }
        assertEquals(whole.length + zeros.length, scan());

        // Zeros to the end: a tail, cut.
        Files.write(file, Arrays.copyOf(Arrays.copyOf(whole, (int) split.position()), (int) split.position() + zeros.length));
        assertEquals(split.position(), scan());
    }

    private long scan() throws IOException {
        return new WholeRecordsScan(WINDOW).wholeRecordsEnd(file);
    }

    private ReadBack.Read recordAt(long position) {
        for (ReadBack.Read r : records) {
            if (r.next() > position) {
                return r;
            }
        }
        throw new AssertionError("no record at " + position);
    }

    private long endOfWholeRecordsUpTo(long cut) {
        long end = 0;
        for (ReadBack.Read r : records) {
            if (r.next() > cut) {
                break;
            }
            end = r.next();
        }
        return end;
    }
}
