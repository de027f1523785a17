package io.trackedge.journal;

import static io.trackedge.journal.ReadBack.SEGMENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A reader given the writer's flushed position never reads past it, not even into its buffer. */
class WrittenLimitTest {

    @TempDir
    Path dir;

    private final Random rnd = new Random(41);

    @Test
    void bytesPastTheLimitAreNeverRead() throws Exception {
        List<EventSpec> specs = EventSpec.randomList(0, 60, rnd);
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 4 * SEGMENT, new JournalStats())) {
            ReadBack.append(w, specs, rnd);
        }
        List<ReadBack.Read> clean = ReadBack.readAll(dir, 0);
        Path file = Segments.path(dir, 0);
        byte[] good = Files.readAllBytes(file);

        // Stand-ins for bytes a writer is still writing: garbage past the limit. A reader that
        // buffered any of it would keep the garbage after the real bytes land and stall or skip.
        int k = 37;
        long limitValue = clean.get(k).position() + 5;
        byte[] inFlight = good.clone();
        Arrays.fill(inFlight, (int) limitValue, inFlight.length, (byte) 0xFF);
        Files.write(file, inFlight);

        AtomicLong limit = new AtomicLong(limitValue);
        try (JournalReader r = new JournalReader(dir, 0, limit::get)) {
            List<ReadBack.Read> got = ReadBack.drain(r);
            ReadBack.assertExactly(specs.subList(0, k), got, 0);
            assertEquals(clean.get(k).position(), r.position());
            assertEquals(0, r.read((p, nx, b, o, l) -> { }, 10));

            Files.write(file, good);
            limit.set(good.length);
            List<ReadBack.Read> rest = ReadBack.drain(r);
            ReadBack.assertExactly(specs.subList(k, specs.size()), rest, clean.get(k).position());
            assertEquals(0, r.damagedRegions());
        }
    }

    /**
     * The race a live sink met at a segment roll (1 run in 10 of InlineAppenderTest's concurrent
     * publishers): the reader, caught up, finds nothing new in its segment; the writer then writes
     * more to that segment and rolls; the reader, seeing the limit moved and a newer segment, took
     * the rest of its segment for damage and skipped it. Here the limit reads stale at that first
     * look and current after, as it did between the writer's two steps.
     */
    @Test
    void aSegmentWrittenToAndRolledPastBetweenTwoLooksIsReadToItsEnd() throws Exception {
        List<EventSpec> specs = EventSpec.randomList(0, 9000, rnd);
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 64 * SEGMENT, new JournalStats())) {
            ReadBack.append(w, specs, rnd);
        }
        List<Long> bases = Segments.list(dir);
        assertTrue(bases.size() >= 2, "segments " + bases);
        List<ReadBack.Read> clean = ReadBack.readAll(dir, 0);
        long end = clean.get(clean.size() - 1).next();
        int k = 0;
        while (clean.get(k + 1).next() < bases.get(1)) {
            k++; // records 0..k lie in the first segment, with at least one more after them there
        }
        long caughtUp = clean.get(k).next();

        AtomicLong limit = new AtomicLong(caughtUp);
        AtomicBoolean staleOnce = new AtomicBoolean();
        try (JournalReader r = new JournalReader(dir, 0, () -> staleOnce.getAndSet(false) ? caughtUp : limit.get())) {
            List<ReadBack.Read> got = new ArrayList<>(ReadBack.drain(r));
            assertEquals(caughtUp, r.position());
            staleOnce.set(true);
            limit.set(end);
            got.addAll(ReadBack.drain(r));
            ReadBack.assertExactly(specs, got, 0);
            assertEquals(0, r.damagedRegions(), "a whole segment read as damaged");
        }
    }

    @Test
    void aLimitMovingByteByByteReleasesEachRecordOnlyWhenWholeBelowIt() throws Exception {
        List<EventSpec> specs = EventSpec.randomList(0, 20, rnd);
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 4 * SEGMENT, new JournalStats())) {
            ReadBack.append(w, specs, rnd);
        }
        List<ReadBack.Read> clean = ReadBack.readAll(dir, 0);
        long end = Files.size(Segments.path(dir, 0));
        AtomicLong limit = new AtomicLong();
        List<ReadBack.Read> got = new ArrayList<>();
        try (JournalReader r = new JournalReader(dir, 0, limit::get)) {
            for (long l = 0; l <= end; l++) {
                limit.set(l);
                for (ReadBack.Read read : ReadBack.drain(r)) {
                    assertTrue(read.next() <= l, "record ending at " + read.next() + " handed out under limit " + l);
                    got.add(read);
                }
                long wholeBelow = 0;
                for (ReadBack.Read c : clean) {
                    if (c.next() <= l) {
                        wholeBelow = c.next();
                    }
                }
                assertEquals(wholeBelow, r.position(), "under limit " + l + " every whole record below it is out");
            }
        }
        ReadBack.assertExactly(specs, got, 0);
    }
}
