package io.trackedge.journal;

import static io.trackedge.journal.ReadBack.SEGMENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * restart, even after the disk had room again.
 */
class RollFailureTest {

    @TempDir
    Path dir;

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
}
