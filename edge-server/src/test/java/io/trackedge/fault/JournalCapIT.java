package io.trackedge.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.sink.testing.FaultReport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal reaches its disk cap (no sink is consuming it): the documented policy happens. The
 * edge keeps serving every pixel, events past the cap are not written, and each one is counted in
 * {@code edge_journal_dropped_at_cap_total}; nothing written before the cap is harmed.
 */
class JournalCapIT {

    private static final int TOTAL = 60_000;

    @TempDir
    Path tmp;

    @Test
    void pastTheCapPixelsAreServedAndTheDroppedEventsCounted() throws Exception {
        Path data = tmp.resolve("data");
        PixelLoad load;
        double dropped;
        double journaled;
        try (EdgeProcess edge = EdgeProcess.start(data, Map.of("EDGE_ACK", "journal",
                "EDGE_JOURNAL_SEGMENT_BYTES", "4MiB", "EDGE_JOURNAL_MAX_BYTES", "8MiB"))) {
            load = new PixelLoad(edge.host(), edge.port(), edge.pixelTargets("cap", TOTAL), TOTAL).start(8);
            assertTrue(load.awaitDone(Duration.ofMinutes(5)), "load finished: " + load);
            dropped = edge.metric("edge_journal_dropped_at_cap_total");
            journaled = edge.metric("edge_journal_appended_records_total");
            assertEquals(200, edge.admin("/readyz").statusCode(), "a full journal does not take the node out");
            edge.terminate();
            assertEquals(0, edge.awaitExit(Duration.ofSeconds(30)));
        }
        Set<String> acked = load.acked();
        EdgeProcess.JournalContents journal = EdgeProcess.readJournal(data.resolve("journal"));
        long duplicates = journal.emailCounts().values().stream().filter(n -> n > 1).count();
        FaultReport.record("journal-disk-cap", "journal capped at 8 MiB with no sink consuming it, 60,000 pixels",
                load.sent().size(), acked.size(), journal.records(), duplicates, (long) dropped,
                "policy: served anyway, " + (long) dropped + " events counted in edge_journal_dropped_at_cap_total");
        assertEquals(TOTAL, acked.size(), "every pixel was served: " + load);
        assertTrue(dropped > 0, "the cap was reached");
        assertEquals(journal.records(), (long) journaled, "what the metric says was written is in the journal");
        assertEquals(TOTAL, journal.records() + (long) dropped, "each event is either journaled or counted as dropped");
        assertEquals(0, journal.damagedRegions());
        assertEquals(0, duplicates);
    }
}
