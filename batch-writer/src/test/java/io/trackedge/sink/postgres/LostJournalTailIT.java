package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.journal.EventType;
import io.trackedge.journal.JournalReader;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.Segments;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkStats;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.Scripted;
import io.trackedge.sink.testing.Sinks;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A power cut can take the journal's tail after the sink read and committed it (page cache, under
 * {@code ack=memory} or {@code journal}): the journal reopens shorter than the sink's cursor, and its new
 * records take those positions. The sink moves its cursor back to the journal's end as it was opened and
 * writes every new event. Before, it waited at its old cursor, then read from the middle of a new record,
 * skipped what it could not decode as damage, and lost the new events in between.
 */
class LostJournalTailIT {

    @Test
    void aCursorPastTheJournalsReopenedEndResumesThereAndLosesNoNewEvent() throws Exception {
        Path dir = Files.createTempDirectory("lost-tail-");
        UUID node = UUID.randomUUID();
        try (TestDatabase testDb = TestDatabase.migrated();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 4)) {
            JournalWriter writer = JournalWriter.open(dir, 4L << 20, 1L << 30, new JournalStats());
            Scripted before = new Scripted(writer, Scripted.TENANT);
            long t = System.currentTimeMillis() * 1000;
            for (int i = 0; i < 30; i++) {
                before.append(EventType.SENT, "before-" + i, t + i, null, null, null, 0);
            }
            run(db, dir, writer, node, writer.flushedPosition());
            List<Long> positions = new ArrayList<>();
            try (JournalReader r = new JournalReader(dir, 0, writer::flushedPosition)) {
                r.read((position, next, bytes, offset, length) -> positions.add(position), 100);
            }
            long cut = positions.get(20); // the last 10 records, written and committed, lost with the page cache
            writer.close();
            List<Long> bases = Segments.list(dir);
            Path newest = dir.resolve(String.format("%020d.seg", bases.get(bases.size() - 1))); // Segments' file name
            try (FileChannel ch = FileChannel.open(newest, StandardOpenOption.WRITE)) {
                ch.truncate(cut - bases.get(bases.size() - 1));
            }

            JournalWriter reopened = JournalWriter.open(dir, 4L << 20, 1L << 30, new JournalStats());
            assertEquals(cut, reopened.openedEnd());
            Scripted after = new Scripted(reopened, Scripted.TENANT);
            for (int i = 0; i < 20; i++) {
                after.append(EventType.SENT, "after-" + i, t + 100 + i, null, null, null, 0);
            }
            run(db, dir, reopened, node, cut);
            assertEquals(20, testDb.count("SELECT count(*) FROM email_events WHERE email_id LIKE 'after-%'"), "every new event");
            assertEquals(30, testDb.count("SELECT count(*) FROM email_events WHERE email_id LIKE 'before-%'"));
            reopened.close();
        }
    }

    /** Runs a Postgres sink on the journal, told where it was opened, until it has committed everything. */
    private static void run(Database db, Path dir, JournalWriter writer, UUID node, long openedEnd) throws Exception {
        PostgresSink sink = new PostgresSink(db, node, new PostgresSink.Settings(false, 0));
        sink.journalOpenedEnd(openedEnd);
        SinkStats stats = new SinkStats();
        SinkLoop loop = new SinkLoop(sink, dir, writer::flushedPosition, Sinks.settings(100, Duration.ofMillis(2),
                Duration.ofMillis(200)), stats, p -> { });
        loop.start();
        try {
            Await.until("the sink reaches the journal's end", Duration.ofSeconds(30),
                    () -> stats.committedPosition.get() == writer.flushedPosition());
        } finally {
            assertTrue(loop.stop(Duration.ofSeconds(5)));
        }
    }
}
