package io.trackedge.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.FaultReport;
import io.trackedge.sink.testing.JournalDamage;
import io.trackedge.sink.testing.Recount;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A byte flipped in the middle of a closed journal segment, and a torn record at the end of the
 * newest, before the edge writes its journal to PostgreSQL: the damage is detected and reported,
 * the one record it hit is not read as data, and everything else, the rest of that segment too,
 * arrives exactly once.
 */
class CorruptSegmentIT {

    private static final int TOTAL = 40_000;

    @TempDir
    Path tmp;

    @Test
    void damageIsSkippedAndReportedAndEverythingElseIsDelivered() throws Exception {
        Path data = tmp.resolve("data");
        Map<String, String> small = Map.of("EDGE_JOURNAL_SEGMENT_BYTES", "4MiB");
        PixelLoad load;
        try (EdgeProcess edge = EdgeProcess.start(data, small)) {
            load = new PixelLoad(edge.host(), edge.port(), edge.pixelTargets("dmg", TOTAL), TOTAL).start(8);
            assertTrue(load.awaitDone(Duration.ofMinutes(5)), load.toString());
            edge.terminate();
            assertEquals(0, edge.awaitExit(Duration.ofSeconds(30)));
        }
        Path journalDir = data.resolve("journal");
        List<Path> segments;
        try (Stream<Path> s = Files.list(journalDir)) {
            segments = s.filter(p -> p.getFileName().toString().endsWith(".seg")).sorted().toList();
        }
        assertTrue(segments.size() >= 2, "several segments: " + segments);
        JournalDamage.flipByte(segments.get(0), Files.size(segments.get(0)) / 2); // closed: a newer segment follows
        appendBytes(segments.get(segments.size() - 1), new byte[] {0, 0, 0, 100, 1, 2, 3, 4, 9, 9});
        EdgeProcess.JournalContents readable = EdgeProcess.readJournal(journalDir);
        assertEquals(1, readable.damagedRegions());

        try (TestDatabase db = TestDatabase.create()) {
            long caughtUp;
            try (EdgeProcess edge = EdgeProcess.start(data, Map.of("EDGE_JOURNAL_SEGMENT_BYTES", "4MiB",
                    "EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_URL", db.jdbcUrl(), "EDGE_DATABASE_USER", "postgres"))) {
                long t0 = System.nanoTime();
                Await.until("the sink to deliver the readable journal", Duration.ofSeconds(120),
                        () -> edge.metric("edge_sink_postgres_up") == 1
                                && edge.metric("edge_sink_postgres_committed_position_bytes") >= edge.metric("edge_journal_position_bytes"));
                caughtUp = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(edge.stderrText().contains("journal damage"), "the damage is reported");
                assertEquals(1, edge.metric("edge_sink_journal_damaged_regions_total{sink=\"postgres\"}"), "and counted");
                assertTrue(edge.metric("edge_sink_journal_damaged_bytes_total{sink=\"postgres\"}") > 0, "with its bytes");
                assertTrue(edge.stderrText().contains("torn or damaged tail"), "the torn tail is reported");
                edge.terminate();
                assertEquals(0, edge.awaitExit(Duration.ofSeconds(30)));
            }
            long rows = db.count("SELECT count(*) FROM email_events");
            long distinct = db.count("SELECT count(DISTINCT email_id) FROM email_events");
            Set<String> acked = load.acked();
            long skipped = acked.size() - readable.records();
            FaultReport.record("corrupt-segment-and-torn-tail",
                    "a byte flipped mid-segment in a closed segment and a torn record at the journal's end, then the sink runs",
                    load.sent().size(), acked.size(), rows, rows - distinct, skipped,
                    "damage reported and skipped to the next whole record (" + skipped + " event not read as data); "
                            + "the rest delivered in " + caughtUp + " ms");
            assertEquals(readable.records(), rows, "every readable record is in the database");
            assertEquals(rows, distinct, "none twice");
            assertEquals(1, skipped, "only the record the flipped byte hit is lost");
            for (Map.Entry<String, Integer> e : readable.emailCounts().entrySet()) {
                assertEquals(1, (int) e.getValue(), e.getKey());
            }
            List<List<String>> daily = Recount.compare(db);
            assertEquals(daily.get(1), daily.get(0));
        }
    }

    private static void appendBytes(Path file, byte[] bytes) throws Exception {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.wrap(bytes));
        }
    }
}
