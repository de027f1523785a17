package io.trackedge.journal;

import static io.trackedge.journal.ReadBack.SEGMENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Under {@code ack=fsync} a batch whose fsync fails is answered 503, so no sink may deliver it: a
 * retry without ids would be stored twice. The records were written before the fsync, and readers
 * used to read them at once; they now wait for the force, and a failed force's records are cut.
 */
class FailedForceTest {

    @TempDir
    Path dir;

    private final Random rnd = new Random(23);
    private final AtomicBoolean failForces = new AtomicBoolean();
    private final MutableEvent slot = new MutableEvent();

    private JournalWriter open() throws IOException {
        JournalWriter w = JournalWriter.open(dir, SEGMENT, 16 * SEGMENT, new JournalStats(),
                JournalWriterHooks.DEFAULTS.withSync(c -> {
                    if (failForces.get()) {
                        throw new IOException("EIO (the test)");
                    }
                    c.force(false);
                }));
        w.holdReadersUntilForced();
        return w;
    }

    @Test
    void aBatchWhoseForceFailsIsNeverReadAndIsCutFromTheFile() throws Exception {
        List<EventSpec> a = EventSpec.randomList(0, 20, rnd);
        List<EventSpec> b = EventSpec.randomList(20, 15, rnd);
        List<EventSpec> c = EventSpec.randomList(35, 10, rnd);
        try (JournalWriter w = open(); JournalReader r = new JournalReader(dir, 0, w::flushedPosition)) {
            write(w, a);
            w.force();
            ReadBack.assertExactly(a, ReadBack.drain(r), 0);
            long afterA = w.flushedPosition();

            write(w, b);
            assertEquals(afterA, w.flushedPosition(), "written, not forced: not readable yet");
            assertEquals(List.of(), ReadBack.drain(r));
            failForces.set(true);
            assertThrows(UncheckedIOException.class, w::force);
            assertEquals(15, w.discardStaged(), "every record of the batch is dropped");
            assertEquals(afterA, Files.size(Segments.path(dir, 0)), "the failed batch is cut from the file");
            assertEquals(List.of(), ReadBack.drain(r));

            writeOnceTheDiskRecovers(w, r, c, afterA);
        }
        assertTheJournalHolds(a, c);
    }

    /** A writer closed while the disk fails its fsync still lets go of its segment's file. */
    @Test
    void aCloseWhoseForceFailsStillClosesTheSegment() throws Exception {
        JournalWriter w = open();
        write(w, EventSpec.randomList(0, 5, rnd));
        assertEquals(1, openFilesUnder(dir), "the writer holds its segment open");
        failForces.set(true);
        assertThrows(IOException.class, w::close);
        assertEquals(0, openFilesUnder(dir), "no file of the journal is left open");
    }

    /** This process's open descriptors of files in {@code folder}. */
    private static long openFilesUnder(Path folder) throws IOException {
        Path real = folder.toRealPath();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    Path target = Files.readSymbolicLink(fd);
                    return target.startsWith(real) && !target.equals(real);
                } catch (IOException gone) { // the listing's own descriptor, closed meanwhile
                    return false;
                }
            }).count();
        }
    }

    /**
     * A batch of several staging buffers rolls, if it must, at its first write only: a failed force's
     * records would otherwise lie partly in a closed segment the writer cannot cut.
     */
    @Test
    void aFailedBatchThatOutgrewItsSegmentIsCutWhole() throws Exception {
        List<EventSpec> a = new ArrayList<>();
        List<EventSpec> b = new ArrayList<>();
        List<EventSpec> c = EventSpec.randomList(1000, 5, rnd);
        try (JournalWriter w = open(); JournalReader r = new JournalReader(dir, 0, w::flushedPosition)) {
            int n = 0;
            while (w.flushedPosition() < SEGMENT - SEGMENT / 4) {
                EventSpec e = EventSpec.random(n++, rnd, MutableEvent.MAX_EXT);
                a.add(e);
                write(w, List.of(e));
                w.force(); // a batch of one
            }
            long afterA = w.flushedPosition();
            // Twice a segment's size in one batch: several staging buffers, each written as it fills.
            while (b.stream().mapToLong(e -> e.encode().length).sum() < 2 * SEGMENT) {
                b.add(EventSpec.random(n++, rnd, MutableEvent.MAX_EXT));
            }
            write(w, b);
            // The batch's first write rolled (everything before it was forced); the later ones did not.
            assertEquals(List.of(0L, afterA), Segments.list(dir), "no roll while the batch is unforced");
            failForces.set(true);
            assertThrows(UncheckedIOException.class, w::force);
            assertEquals(b.size(), w.discardStaged());
            assertEquals(0, Files.size(Segments.path(dir, afterA)), "the failed batch is cut whole");
            ReadBack.assertExactly(a, ReadBack.drain(r), 0);

            writeOnceTheDiskRecovers(w, r, c, afterA);
        }
        assertTheJournalHolds(a, c);
    }

    /** The next batch, forced: read from where the failed one began. */
    private void writeOnceTheDiskRecovers(JournalWriter w, JournalReader r, List<EventSpec> batch, long at) {
        failForces.set(false);
        write(w, batch);
        w.force();
        ReadBack.assertExactly(batch, ReadBack.drain(r), at);
    }

    /** The files hold the batches before and after the failed one, and nothing of it. */
    private void assertTheJournalHolds(List<EventSpec> before, List<EventSpec> after) throws IOException {
        List<EventSpec> kept = new ArrayList<>(before);
        kept.addAll(after);
        ReadBack.assertExactly(kept, ReadBack.readAll(dir, 0), 0);
    }

    private void write(JournalWriter w, List<EventSpec> batch) {
        for (EventSpec s : batch) {
            assertEquals(true, w.tryAppend(s.fill(slot)));
        }
        w.flush();
    }
}
