package io.trackedge.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Under {@code ack=journal} a 200 for a pixel means its event was written to the journal file.
 * SIGKILL the real edge in the middle of a load: every event whose response a client fully
 * received must be in the journal. Then the edge must start again on the same data (cutting any
 * torn tail) and serve.
 */
class JournalKillIT {

    private static final int TOTAL = 20_000;
    private static final int THREADS = 8;

    @TempDir
    Path tmp;

    @Test
    void noAcknowledgedEventIsLostWhenTheEdgeIsKilledAndTheEdgeRestartsOnItsJournal() throws Exception {
        Path data = tmp.resolve("data");
        PixelLoad load;
        try (EdgeProcess edge = EdgeProcess.start(data, Map.of("EDGE_ACK", "journal"))) {
            load = new PixelLoad(edge.host(), edge.port(), edge.pixelTargets("kill", TOTAL), TOTAL / 4).start(THREADS);
            assertTrue(load.awaitAcked(Duration.ofMinutes(3)), "load did not get going: " + load + "\n" + edge.stderrText());
            edge.kill();
            assertEquals(137, edge.process().exitValue(), "killed by SIGKILL");
            assertTrue(load.awaitDone(Duration.ofMinutes(1)), "load threads ended after the kill");
        }

        Set<String> acked = load.acked();
        Set<String> sent = load.sent();
        EdgeProcess.JournalContents journal = EdgeProcess.readJournal(data.resolve("journal"));
        List<String> missing = new ArrayList<>();
        for (String id : acked) {
            if (journal.count(id) == 0) {
                missing.add(id);
            }
        }
        long found = acked.size() - missing.size();
        long journaledNotAcked = journal.emailCounts().keySet().stream().filter(id -> !acked.contains(id)).count();
        System.out.printf("JournalKillIT: %d targets, %d sent, %d acknowledged, %d acknowledged found in the journal; "
                        + "journal holds %d records (%d of them not acknowledged: in flight at the kill), torn tail %d bytes; %s%n",
                TOTAL, sent.size(), acked.size(), found, journal.records(), journaledNotAcked, journal.tornTailBytes(), load);

        io.trackedge.sink.testing.FaultReport.record("kill-9-ack-journal", "SIGKILL of the jar under 8-connection pixel load, ack=journal",
                sent.size(), acked.size(), journal.records(), journal.emailCounts().values().stream().filter(n -> n > 1).count(),
                missing.size(), "restart cut " + journal.tornTailBytes() + " B of torn tail and served at once");
        assertTrue(sent.size() < TOTAL, "the kill came in the middle of the load (" + load + ")");
        assertTrue(acked.size() >= TOTAL / 4, load.toString());
        assertEquals(List.of(), missing.subList(0, Math.min(20, missing.size())),
                missing.size() + " acknowledged events are not in the journal");
        assertEquals(0, journal.damagedRegions(), "a kill leaves at most a torn tail, never damage");
        for (Map.Entry<String, Integer> e : journal.emailCounts().entrySet()) {
            assertTrue(sent.contains(e.getKey()), e.getKey() + " journaled but never sent");
            assertEquals(1, e.getValue(), e.getKey() + " journaled more than once");
        }

        // Make sure the restart has a torn tail to cut, whatever the kill left: half a record more.
        long naturalTear = journal.tornTailBytes();
        byte[] half = tornRecord();
        appendToNewestSegment(data.resolve("journal"), half);

        List<PixelLoad.Target> after;
        PixelLoad second;
        try (EdgeProcess edge = EdgeProcess.start(data, Map.of("EDGE_ACK", "journal"))) {
            assertEquals(naturalTear + half.length, edge.metric("edge_journal_torn_tail_bytes_total"),
                    "the restart cut the torn tail");
            assertEquals(200, edge.admin("/readyz").statusCode(), edge.admin("/readyz").body());
            assertTrue(edge.stderrText().contains("torn or damaged tail"), "the cut is logged");
            after = edge.pixelTargets("after", 500);
            second = new PixelLoad(edge.host(), edge.port(), after, after.size()).start(4);
            assertTrue(second.awaitDone(Duration.ofMinutes(2)));
            assertEquals(after.size(), second.acked().size(), "the restarted edge serves: " + second);
            edge.terminate();
            assertEquals(0, edge.awaitExit(Duration.ofSeconds(30)));
        }

        EdgeProcess.JournalContents again = EdgeProcess.readJournal(data.resolve("journal"));
        assertEquals(0, again.damagedRegions(), "records after the restart follow whole records");
        assertEquals(0, again.tornTailBytes(), "a clean stop leaves no torn tail");
        assertEquals(journal.records() + after.size(), again.records());
        for (String id : acked) {
            assertEquals(1, again.count(id), id);
        }
        for (PixelLoad.Target t : after) {
            assertEquals(1, again.count(t.id()), t.id());
        }
    }

    /** The first bytes of a record whose header promises more than follows: what a cut write leaves. */
    private static byte[] tornRecord() {
        ByteBuffer b = ByteBuffer.allocate(8 + 50);
        b.putInt(200).putInt(0x12345678);
        while (b.hasRemaining()) {
            b.put((byte) 0x5A);
        }
        return b.array();
    }

    private static void appendToNewestSegment(Path journalDir, byte[] bytes) throws Exception {
        Path newest;
        try (Stream<Path> s = Files.list(journalDir)) {
            newest = s.filter(p -> p.getFileName().toString().endsWith(".seg")).sorted().reduce((a, b) -> b).orElseThrow();
        }
        try (FileChannel ch = FileChannel.open(newest, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.wrap(bytes));
        }
    }
}
