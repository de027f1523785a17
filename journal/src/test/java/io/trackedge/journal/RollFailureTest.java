package io.trackedge.journal;

import static io.trackedge.journal.ReadBack.SEGMENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regression: when the next segment could not be created (a full disk, no inodes left), the writer
 * had already closed the current one, and every later write failed on the closed channel until a
 * restart, even after the disk had room again. And when a failed write could not be cut from the
 * file, the roll that follows started the next segment at the last whole record, inside the bytes the
 * failed write left: readers handed those out at the next segment's positions, then went back.
 */
class RollFailureTest {

    @TempDir
    Path dir;

    private final JournalStats stats = new JournalStats();
    /** The segment files the writer of {@link #openOnFailingDisk} opened, in order. */
    private final List<FailingChannel> files = new ArrayList<>();
    /** While set, that writer's disk refuses new segment files. */
    private boolean refuseFiles;

    /** A writer whose segment files are {@link #files}, on a disk that fails on demand. */
    private JournalWriter openOnFailingDisk() throws IOException {
        CurrentSegment.Opener opener = path -> {
            if (refuseFiles) {
                throw new IOException("No space left on device (the test)");
            }
            FailingChannel f = new FailingChannel(CurrentSegment.Opener.FILES.open(path));
            files.add(f);
            return f;
        };
        return JournalWriter.open(dir, SEGMENT, 4 * SEGMENT, stats, JournalWriterHooks.DEFAULTS.withOpener(opener).withSync(ch -> {
            if (failForce) {
                throw new IOException("Input/output error (the test's fsync)");
            }
            ch.force(false);
        }));
    }

    /** While set, that writer's fsyncs fail. */
    private boolean failForce;

    /** Three batches of random events from {@code seed}: {@code a} (20), then {@code b} and {@code c} (10 each). */
    private record Batches(List<EventSpec> a, List<EventSpec> b, List<EventSpec> c) {
        static Batches random(long seed) {
            Random rnd = new Random(seed);
            return new Batches(EventSpec.randomList(0, 20, rnd), EventSpec.randomList(20, 10, rnd),
                    EventSpec.randomList(30, 10, rnd));
        }
    }

    @Test
    void aSegmentThatCannotBeCreatedIsRetriedOnceTheDiskAllowsIt() throws Exception {
        Random rnd = new Random(7);
        MutableEvent slot = new MutableEvent();
        List<EventSpec> written = new ArrayList<>();
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 4 * SEGMENT, new JournalStats())) {
            // Fill the first segment to within one event of its size, one flush per event.
            int n = 0;
            EventSpec next = EventSpec.random(n, rnd, 2000);
            while (w.flushedPosition() + 2 * (next.encode().length + 64) < SEGMENT) {
                assertTrue(w.tryAppend(next.fill(slot)));
                w.flush();
                written.add(next);
                next = EventSpec.random(++n, rnd, 2000);
            }
            // The next segment's name is taken by something that is not a segment file: creating it fails.
            long rollAt = w.flushedPosition();
            Path blocker = Segments.path(dir, rollAt);
            Files.createDirectories(blocker);
            EventSpec big = EventSpec.random(++n, rnd, 64 * 1024);
            assertTrue(w.tryAppend(big.fill(slot)));
            assertThrows(UncheckedIOException.class, w::flush);
            assertEquals(1, w.discardStaged());

            // The disk allows it again: the same writer rolls and writes.
            Files.delete(blocker);
            assertTrue(w.tryAppend(big.fill(slot)));
            w.flush();
            written.add(big);
            assertEquals(rollAt, Segments.list(dir).get(1), "the new segment starts where the last record ended");
        }
        ReadBack.assertExactly(written, ReadBack.readAll(dir, 0), 0);
    }

    /**
     * The disk takes half of a batch and refuses the rest, then refuses to cut that half: the writer
     * overwrites it with zeros and rolls, and the next segment starts past the file's last byte, so the
     * reader's positions only go forward and the next batch is read once, at the next segment's start.
     * The failed write is one damaged region: none of its records is read (until 2026-12-07 its whole
     * ones were, though the appender answered its batch 503, and a retry without ids counted twice).
     */
    @Test
    void aFailedWriteThatCannotBeCutIsBlankedAndRolledPastSoPositionsNeverGoBack() throws Exception {
        Batches batches = Batches.random(8);
        try (JournalWriter w = openOnFailingDisk();
             JournalReader r = new JournalReader(dir, 0, w::flushedPosition)) {
            write(w, batches.a());
            ReadBack.assertExactly(batches.a(), ReadBack.drain(r), 0);
            long afterA = w.flushedPosition();

            long taken = framedBytes(batches.b()) / 2;
            files.get(0).failWritesAfter(taken);
            files.get(0).refuseTruncate();
            writeFailing(w, batches.b());
            files.get(0).heal();

            write(w, batches.c());
            long next = afterA + taken;
            assertEquals(List.of(0L, next), Segments.list(dir), "the next segment starts past the failed write's bytes");
            ReadBack.assertExactly(batches.c(), ReadBack.drain(r), next);
            assertEquals(1, r.damagedRegions(), "the failed write");
            assertZeros(Segments.path(dir, 0), afterA, taken);
            assertEquals(w.flushedPosition(), stats.sizeBytes.get(), "the bytes left uncut count in the journal's size");
        }
    }

    /**
     * A segment whose channel was closed under the writer (an interrupt in a write closes it) is rolled past at
     * the next failed write: the roll asked the closed channel for the file's length, failed, and left the
     * writer on that channel, every later batch failing until a restart.
     */
    @Test
    void aSegmentWhoseChannelWasClosedIsRolledPast() throws Exception {
        Batches batches = Batches.random(11);
        try (JournalWriter w = openOnFailingDisk();
             JournalReader r = new JournalReader(dir, 0, w::flushedPosition)) {
            write(w, batches.a());
            ReadBack.assertExactly(batches.a(), ReadBack.drain(r), 0);
            long afterA = w.flushedPosition();

            files.get(0).close();
            writeFailing(w, batches.b());
            w.awaitFileWork();
            assertThrows(UncheckedIOException.class, w::force, "the closed segment's last fsync failed, reported once");

            write(w, batches.c());
            w.force();
            assertEquals(List.of(0L, afterA), Segments.list(dir), "a new segment, past the closed one's bytes");
            ReadBack.assertExactly(batches.c(), ReadBack.drain(r), afterA);
        }
    }

    /**
     * The same, and the disk refuses the next segment's file too: the writer stays on the segment,
     * writes the next batch after the failed write's bytes and counts its positions from there. Those
     * bytes are zeros by then: readers skip them as one damaged region and read the next batch whole,
     * and none of the failed batch's records (until 2026-12-07 they read its whole ones, though the
     * batch was answered 503).
     */
    @Test
    void aFailedWriteThatCanBeNeitherCutNorRolledPastIsBlankedAndNeverRead() throws Exception {
        TornBatch t = writeAroundATornBatch(false, (w, r, torn) -> {
            assertEquals(List.of(0L), Segments.list(dir));
            assertEquals(torn.cFrom() + framedBytes(torn.c()), w.flushedPosition(), "the next batch's positions count the bytes before it");
            assertEquals(w.flushedPosition(), Files.size(Segments.path(dir, 0)));
            assertEquals(w.flushedPosition(), stats.sizeBytes.get());
            ReadBack.assertExactly(torn.c(), ReadBack.drain(r), torn.cFrom());
            assertEquals(1, r.damagedRegions(), "the failed write");
            assertZeros(Segments.path(dir, 0), torn.afterA(), torn.taken());
        });
        List<ReadBack.Read> all = ReadBack.readAll(dir, 0);
        ReadBack.assertExactly(t.a(), all.subList(0, Math.min(t.a().size(), all.size())), 0);
        ReadBack.assertExactly(t.c(), all.subList(Math.min(t.a().size(), all.size()), all.size()), t.cFrom());
    }

    /**
     * The same, and the disk fails the overwrite too: what the writer did before it overwrote such
     * bytes. Readers pass the failed write's torn end as damage and read its whole records (answered
     * 503: a retry without ids counts twice; logged as an error), then the next batch whole.
     */
    @Test
    void aFailedWriteThatCannotBeOverwrittenEitherIsReadUpToItsTornEnd() throws Exception {
        writeAroundATornBatch(true, (w, r, torn) -> {
            int whole = 0;
            for (long sum = 0; sum + Framing.HEADER + torn.b().get(whole).encode().length <= torn.taken(); whole++) {
                sum += Framing.HEADER + torn.b().get(whole).encode().length;
            }
            List<ReadBack.Read> got = ReadBack.drain(r);
            ReadBack.assertExactly(torn.b().subList(0, whole), got.subList(0, Math.min(whole, got.size())), torn.afterA());
            ReadBack.assertExactly(torn.c(), got.subList(Math.min(whole, got.size()), got.size()), torn.cFrom());
            assertEquals(1, r.damagedRegions(), "the failed write's torn end");
        });
    }

    /**
     * Three batches {@link #writeAroundATornBatch} wrote: {@code a} whole from 0, {@code b} torn after
     * {@code taken} of its bytes at {@code afterA}, then {@code c}, whose positions start past those bytes.
     */
    private record TornBatch(List<EventSpec> a, List<EventSpec> b, List<EventSpec> c, long taken, long afterA) {
        long cFrom() {
            return afterA + taken;
        }
    }

    /** What a test checks while the writer and the reader that read {@code a} are still open. */
    @FunctionalInterface
    private interface WhileOpen {
        void check(JournalWriter w, JournalReader r, TornBatch torn) throws Exception;
    }

    /**
     * Writes {@code a} (read back whole at once), then {@code b} to a disk that takes half of its bytes and
     * refuses the rest, and refuses to cut them, to roll and, when {@code failOverwrites}, to overwrite them
     * ({@link #failToWriteNorCutNorRoll}), then {@code c}; hands over to {@code then} before closing both.
     */
    private TornBatch writeAroundATornBatch(boolean failOverwrites, WhileOpen then) throws Exception {
        Batches batches = Batches.random(10);
        try (JournalWriter w = openOnFailingDisk();
             JournalReader r = new JournalReader(dir, 0, w::flushedPosition)) {
            write(w, batches.a());
            ReadBack.assertExactly(batches.a(), ReadBack.drain(r), 0);
            TornBatch torn = new TornBatch(batches.a(), batches.b(), batches.c(), framedBytes(batches.b()) / 2, w.flushedPosition());

            failToWriteNorCutNorRoll(w, batches.b(), torn.taken(), failOverwrites);

            write(w, batches.c());
            then.check(w, r, torn);
            return torn;
        }
    }

    /**
     * ack=fsync: a batch written whole whose fsync fails, on a disk that then refuses to cut it, to
     * overwrite it and to create a new segment. The writer keeps its bytes (read after all, as before
     * the overwrite existed) and the next batch must land after them, where its positions say: the
     * failed overwrite had left the file's position at the batch's start, and the next batch was
     * written over it while its positions counted it at the end (readers then found nothing there).
     */
    @Test
    void aFailedForceWhoseBytesCanBeNeitherCutNorOverwrittenNorRolledPastKeepsTheNextBatchWhereItsPositionsSay() throws Exception {
        Batches batches = Batches.random(11);
        try (JournalWriter w = openOnFailingDisk()) {
            w.holdReadersUntilForced();
            write(w, batches.a());
            w.force();
            long afterA = w.flushedPosition();

            FailingChannel file = files.get(files.size() - 1);
            write(w, batches.b());
            file.refuseTruncate();
            file.failOverwrites();
            refuseFiles = true;
            failForce = true;
            assertThrows(UncheckedIOException.class, w::force);
            assertEquals(batches.b().size(), w.discardStaged());
            file.heal();
            refuseFiles = false;
            failForce = false;

            write(w, batches.c());
            w.force();
            long cFrom = afterA + framedBytes(batches.b());
            assertEquals(cFrom + framedBytes(batches.c()), w.flushedPosition(), "the next batch's positions count the kept bytes");
            assertEquals(w.flushedPosition(), Files.size(Segments.path(dir, 0)), "and the file holds them where they say");
            List<ReadBack.Read> all = ReadBack.readAll(dir, 0);
            assertEquals(batches.a().size() + batches.b().size() + batches.c().size(), all.size(), "a, the kept batch, then the next");
            ReadBack.assertExactly(batches.c(), all.subList(batches.a().size() + batches.b().size(), all.size()), cFrom);
        }
    }

    /**
     * Writes {@code batch} to a disk that takes {@code taken} bytes of it and refuses the rest, then
     * refuses to cut them and to create a new segment file, and, when {@code failOverwrites}, to
     * overwrite them; the disk works again once the batch is dropped.
     */
    private void failToWriteNorCutNorRoll(JournalWriter w, List<EventSpec> batch, long taken, boolean failOverwrites) {
        FailingChannel file = files.get(files.size() - 1);
        file.failWritesAfter(taken);
        file.refuseTruncate();
        if (failOverwrites) {
            file.failOverwrites();
        }
        refuseFiles = true;
        writeFailing(w, batch);
        file.heal();
        refuseFiles = false;
    }

    private static long framedBytes(List<EventSpec> batch) {
        return batch.stream().mapToLong(e -> Framing.HEADER + e.encode().length).sum();
    }

    /** The {@code length} bytes of the segment file at {@code path} from {@code position} on are zeros. */
    private static void assertZeros(Path path, long position, long length) throws IOException {
        byte[] bytes = Files.readAllBytes(path);
        for (long i = position; i < position + length; i++) {
            assertEquals(0, bytes[(int) i], "byte " + i + " of the failed write");
        }
    }

    /**
     * A journal an older writer left with a segment overlapping the next one (its file runs past the
     * next segment's base): the reader reads each segment only up to the next one's base.
     */
    @Test
    void aReaderNeverReadsASegmentPastTheNextOnesBase() throws Exception {
        Random rnd = new Random(9);
        Path written = dir.resolve("written");
        List<EventSpec> a = EventSpec.randomList(0, 20, rnd);
        List<EventSpec> past = EventSpec.randomList(20, 5, rnd);
        List<EventSpec> c = EventSpec.randomList(25, 10, rnd);
        try (JournalWriter w = JournalWriter.open(written, SEGMENT, 4 * SEGMENT, new JournalStats())) {
            write(w, a);
            write(w, past);
            write(w, c);
        }
        byte[] bytes = java.nio.file.Files.readAllBytes(Segments.path(written, 0));
        List<ReadBack.Read> reads = ReadBack.readAll(written, 0);
        int aEnd = (int) reads.get(a.size() - 1).next();
        int cFrom = (int) reads.get(a.size() + past.size()).position();
        Path overlapping = dir.resolve("overlapping");
        Files.createDirectories(overlapping);
        Files.write(Segments.path(overlapping, 0), java.util.Arrays.copyOf(bytes, cFrom)); // a, then records past the next base
        Files.write(Segments.path(overlapping, aEnd), java.util.Arrays.copyOfRange(bytes, cFrom, bytes.length));

        try (JournalReader r = new JournalReader(overlapping, 0, null)) {
            List<ReadBack.Read> got = ReadBack.drain(r);
            ReadBack.assertExactly(a, got.subList(0, Math.min(a.size(), got.size())), 0);
            ReadBack.assertExactly(c, got.subList(Math.min(a.size(), got.size()), got.size()), aEnd);
            assertEquals(0, r.damagedRegions());
        }
    }

    /** A batch whose write fails: every record of it is dropped. */
    private static void writeFailing(JournalWriter w, List<EventSpec> batch) {
        MutableEvent slot = new MutableEvent();
        for (EventSpec e : batch) {
            assertTrue(w.tryAppend(e.fill(slot)));
        }
        assertThrows(UncheckedIOException.class, w::flush);
        assertEquals(batch.size(), w.discardStaged());
    }

    private static void write(JournalWriter w, List<EventSpec> batch) {
        MutableEvent slot = new MutableEvent();
        for (EventSpec e : batch) {
            assertTrue(w.tryAppend(e.fill(slot)));
        }
        w.flush();
    }
}
