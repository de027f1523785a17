package io.trackedge.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM under load: the edge stops accepting, drains the ring into the journal, answers what it
 * holds and exits 0 within its shutdown grace, leaving every acknowledged event in the journal
 * exactly once and no torn tail.
 */
class GracefulStopIT {

    private static final int TOTAL = 20_000;
    private static final Duration GRACE = Duration.ofSeconds(5);
    /** A JVM needs a moment to exit after the stop is done, longer on a loaded machine. */
    private static final Duration EXIT_SLACK = Duration.ofSeconds(10);

    @TempDir
    Path tmp;

    @Test
    void sigtermUnderLoadExitsZeroWithinTheGraceWithEveryAcknowledgedEventJournaledOnce() throws Exception {
        Path data = tmp.resolve("data");
        PixelLoad load;
        Integer exit;
        String stderr;
        long stopMillis;
        try (EdgeProcess edge = EdgeProcess.start(data, Map.of("EDGE_ACK", "journal",
                "EDGE_SHUTDOWN_GRACE", GRACE.toSeconds() + "s"))) {
            load = new PixelLoad(edge.host(), edge.port(), edge.pixelTargets("term", TOTAL), TOTAL / 4).start(8);
            assertTrue(load.awaitAcked(Duration.ofMinutes(3)), "load did not get going: " + load + "\n" + edge.stderrText());
            long t0 = System.nanoTime();
            edge.terminate();
            exit = edge.awaitExit(GRACE.plus(EXIT_SLACK).plus(Duration.ofSeconds(20)));
            stopMillis = (System.nanoTime() - t0) / 1_000_000;
            stderr = edge.stderrText();
            assertNotNull(exit, "still running after SIGTERM; stderr:\n" + stderr);
            assertTrue(stopMillis <= GRACE.plus(EXIT_SLACK).toMillis(),
                    "exited " + stopMillis + " ms after SIGTERM; grace " + GRACE.toMillis() + " ms\n" + stderr);
            assertTrue(load.awaitDone(Duration.ofMinutes(1)), "load threads ended after the stop");
        }
        assertEquals(0, exit, "exit code after SIGTERM; stderr:\n" + stderr);
        assertTrue(stderr.contains("edge stopped in"), "the stop is logged as complete");

        Set<String> acked = load.acked();
        Set<String> sent = load.sent();
        EdgeProcess.JournalContents journal = EdgeProcess.readJournal(data.resolve("journal"));
        long journaledNotAcked = journal.emailCounts().keySet().stream().filter(id -> !acked.contains(id)).count();
        System.out.printf("GracefulStopIT: exited %d in %d ms after SIGTERM; %d targets, %d sent, %d acknowledged; "
                        + "journal holds %d records (%d not acknowledged); %s%n",
                exit, stopMillis, TOTAL, sent.size(), acked.size(), journal.records(), journaledNotAcked, load);

        io.trackedge.sink.testing.FaultReport.record("sigterm-under-load", "SIGTERM of the jar under 8-connection pixel load, ack=journal",
                sent.size(), acked.size(), journal.records(), journal.emailCounts().values().stream().filter(n -> n > 1).count(),
                acked.stream().filter(id -> journal.count(id) == 0).count(), "exit " + exit + " after " + stopMillis + " ms");
        assertTrue(sent.size() < TOTAL, "the stop came in the middle of the load (" + load + ")");
        // A request the edge read before it paused reading is answered; one it never read is
        // neither answered nor journaled (the client sees the connection close). So nothing is
        // journaled without its 200 having reached the client.
        assertEquals(0, journaledNotAcked, "every journaled event was answered: " + load);
        for (String id : acked) {
            assertEquals(1, journal.count(id), id + " acknowledged: journaled exactly once");
        }
        for (Map.Entry<String, Integer> e : journal.emailCounts().entrySet()) {
            assertTrue(sent.contains(e.getKey()), e.getKey() + " journaled but never sent");
            assertEquals(1, e.getValue(), e.getKey() + " journaled more than once");
        }
        assertEquals(0, journal.damagedRegions());
        assertEquals(0, journal.tornTailBytes(), "a clean stop flushes whole records only");
        assertEquals(0, load.otherResponses(), "every answer was the pixel: " + load);
    }

    /**
     * With {@code edge.shutdown-drain-delay}, SIGTERM first fails {@code /readyz} while the listeners still
     * serve (each answer saying Connection: close), so that a balancer's health check takes the node out
     * before its connections are refused; then the stop runs as before. Before, the listener closed with
     * the first 503 of {@code /readyz}, and the balancer's next connections were refused.
     */
    @Test
    void aDrainDelayFailsReadinessWhileTheListenersStillServe() throws Exception {
        try (EdgeProcess edge = EdgeProcess.start(tmp.resolve("delayed"), Map.of("EDGE_SHUTDOWN_DRAIN_DELAY", "5s",
                "EDGE_SHUTDOWN_GRACE", "5s"))) {
            assertEquals(200, edge.admin("/readyz").statusCode());
            edge.terminate();
            io.trackedge.sink.testing.Await.until("/readyz fails after SIGTERM", Duration.ofSeconds(10),
                    () -> edge.admin("/readyz").statusCode() == 503);
            try (io.trackedge.testing.RawHttp c = new io.trackedge.testing.RawHttp(edge.port())) {
                io.trackedge.testing.RawHttp.Response r = c.get(edge.pixelPath(EdgeProcess.fields(java.util.UUID.randomUUID(),
                        java.util.UUID.randomUUID(), "draining")));
                assertEquals(200, r.status(), "a new connection is still served while the balancer notices");
                assertEquals("close", r.header("connection"));
            }
            Integer exit = edge.awaitExit(Duration.ofSeconds(40));
            assertEquals(0, exit, edge.stderrText());
            assertTrue(edge.stderrText().contains("edge.shutdown-drain-delay"), "the delay is logged");
        }
    }
}
