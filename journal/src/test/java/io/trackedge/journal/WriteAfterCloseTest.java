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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regression: a stop whose ring drain ran past its budget closed the journal while the appender
 * was still writing to it. The late write went on as if the journal were open: when the segment was
 * full it rolled to a new segment file, wrote to it and never synced it (after "flushed and synced"
 * was logged); otherwise it failed on the closed channel and the appender's discard, unable to cut
 * that channel, rolled to a new file too. A write after close now fails at once with an exception
 * that says so, and touches no file.
 */
class WriteAfterCloseTest {

    @TempDir
    Path dir;

    @Test
    void aWriteAfterCloseIsRefusedAndLeavesTheFilesAsTheCloseLeftThem() throws Exception {
        Random rnd = new Random(11);
        MutableEvent slot = new MutableEvent();
        List<EventSpec> written = new ArrayList<>();
        JournalWriter w = JournalWriter.open(dir, SEGMENT, 4 * SEGMENT, new JournalStats());
        // The segment full to within one large event: the late write below would roll.
        int n = 0;
        EventSpec next = EventSpec.random(n, rnd, 2000);
        while (w.flushedPosition() + 2 * (next.encode().length + 64) < SEGMENT) {
            assertTrue(w.tryAppend(next.fill(slot)));
            w.flush();
            written.add(next);
            next = EventSpec.random(++n, rnd, 2000);
        }
        w.close();
        List<String> filesAtClose = files();

        EventSpec late = EventSpec.random(++n, rnd, 64 * 1024);
        UncheckedIOException refused = assertThrows(UncheckedIOException.class, () -> {
            w.tryAppend(late.fill(slot));
            w.flush(); // before the fix the append was staged, and this rolled to a new segment and wrote it
        });
        assertTrue(refused.getMessage().contains("closed"), refused.getMessage());
        assertEquals(0, w.stagedBytes(), "nothing is staged by a refused append");
        assertEquals(0, w.discardStaged(), "nothing to discard, and no cut of the closed segment");
        assertThrows(UncheckedIOException.class, w::flush);
        assertThrows(UncheckedIOException.class, () -> w.housekeep(SEGMENT));
        assertThrows(UncheckedIOException.class, w::force);
        w.close(); // a second close does nothing

        assertEquals(filesAtClose, files(), "no segment was created or grown after close");
        ReadBack.assertExactly(written, ReadBack.readAll(dir, 0), 0);
    }

    @Test
    void aWriteAfterCloseInAnEmptySegmentCreatesNothingEither() throws Exception {
        MutableEvent slot = new MutableEvent();
        JournalWriter w = JournalWriter.open(dir, SEGMENT, 4 * SEGMENT, new JournalStats());
        EventSpec first = EventSpec.random(0, new Random(3));
        assertTrue(w.tryAppend(first.fill(slot)));
        w.close(); // writes what is staged
        List<String> filesAtClose = files();

        EventSpec late = EventSpec.random(1, new Random(4));
        assertThrows(UncheckedIOException.class, () -> w.tryAppend(late.fill(slot)));
        w.discardStaged(); // what the appender does after a refused write
        assertEquals(filesAtClose, files());
        ReadBack.assertExactly(List.of(first), ReadBack.readAll(dir, 0), 0);
    }

    /** The journal's files with their sizes. */
    private List<String> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().map(p -> {
                try {
                    return p.getFileName() + " " + Files.size(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        }
    }
}
