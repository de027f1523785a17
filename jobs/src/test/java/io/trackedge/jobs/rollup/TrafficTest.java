package io.trackedge.jobs.rollup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.journal.JournalReader;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.RecordCodec;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The roll-up tests' traffic has ids that sort in journal order, as the edge's do. The generator
 * built an id from the event's millisecond and a 12-bit counter that wrapped, so the 4,097th event
 * could sort before an earlier event of the same millisecond (an email's events are a microsecond
 * apart), and a recount breaking ties by id disagreed with the sink's journal order.
 */
class TrafficTest {

    @TempDir
    Path dir;

    @Test
    void idsSortInJournalOrderPastTheTwelveBitCounter() throws Exception {
        long appended;
        List<UUID> ids = new ArrayList<>();
        try (JournalWriter writer = JournalWriter.open(dir, 4L << 20, 1L << 30, new JournalStats())) {
            appended = new Traffic(writer, 12, Instant.now()).generate(3000);
            writer.flush();
            try (JournalReader reader = new JournalReader(dir, 0, writer::flushedPosition)) {
                while (reader.read((position, next, payload, off, len) -> ids.add(RecordCodec.decode(payload, off, len).id()),
                        1000) > 0) {
                    // reads until the flushed end
                }
            }
        }
        assertEquals(appended, ids.size());
        assertTrue(appended > 2 * 4096, "the counter wraps several times: " + appended + " events");
        int outOfOrder = 0;
        int sameMillisOutOfOrder = 0;
        for (int i = 1; i < ids.size(); i++) {
            long previous = ids.get(i - 1).getMostSignificantBits();
            long current = ids.get(i).getMostSignificantBits();
            if (Long.compareUnsigned(previous, current) >= 0) {
                outOfOrder++;
                if (previous >>> 16 == current >>> 16) {
                    sameMillisOutOfOrder++;
                }
            }
        }
        assertEquals(0, sameMillisOutOfOrder, "ids of one millisecond out of journal order");
        assertEquals(0, outOfOrder, "ids out of journal order");
    }
}
