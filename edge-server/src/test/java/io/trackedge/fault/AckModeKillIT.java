package io.trackedge.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.sink.testing.FaultReport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SIGKILL under load with the other acknowledgement modes: {@code fsync} must lose nothing that
 * was acknowledged; {@code memory} may, and how much is measured and reported, not hidden.
 */
class AckModeKillIT {

    private static final int TOTAL = 20_000;

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"memory", "fsync"})
    void killUnderLoad(String mode) throws Exception {
        Path data = tmp.resolve(mode);
        PixelLoad load;
        try (EdgeProcess edge = EdgeProcess.start(data, Map.of("EDGE_ACK", mode))) {
            load = new PixelLoad(edge.host(), edge.port(), edge.pixelTargets("ack-" + mode, TOTAL), TOTAL / 4).start(8);
            assertTrue(load.awaitAcked(Duration.ofMinutes(3)), "load did not get going: " + load);
            edge.kill();
            assertTrue(load.awaitDone(Duration.ofMinutes(1)));
        }
        Set<String> acked = load.acked();
        EdgeProcess.JournalContents journal = EdgeProcess.readJournal(data.resolve("journal"));
        long lost = acked.stream().filter(id -> journal.count(id) == 0).count();
        long duplicated = journal.emailCounts().values().stream().filter(n -> n > 1).count();
        System.out.printf("AckModeKillIT[%s]: %d sent, %d acknowledged, %d journaled, %d acknowledged but lost%n",
                mode, load.sent().size(), acked.size(), journal.records(), lost);
        FaultReport.record("kill-9-ack-" + mode, "SIGKILL of the jar under 8-connection pixel load, ack=" + mode,
                load.sent().size(), acked.size(), journal.records(), duplicated, lost,
                mode.equals("memory") ? "loss measured: events still in the ring at the kill" : "restart-ready journal");
        assertTrue(load.sent().size() < TOTAL, "killed mid-load");
        assertEquals(0, duplicated);
        if (mode.equals("fsync")) {
            assertEquals(0, lost, "fsync acknowledgements lose nothing");
        }
    }
}
