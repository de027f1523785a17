package io.trackedge.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.FaultReport;
import io.trackedge.testing.RawHttp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal's disk turns slow under a running edge (its data folder on {@code benchmarks/slowfs.py},
 * a FUSE file system whose writes then take 400 ms each): the event loops stop writing the journal
 * and leave it to the appender thread ({@code edge_journal_slow_disk_paused}, a WARN), so pixels on a
 * keep-alive connection are answered without waiting for the disk ({@code ack=memory}); once the
 * disk is fast again the loops write again, and every pixel is in the journal exactly once.
 *
 * <p>Needs root, {@code /dev/fuse} and Debian's python3-fusepy (skipped otherwise; {@code .ci/run}
 * installs the package).
 */
class SlowJournalDiskIT {

    private static final UUID TENANT = UUID.fromString("0b5e4d8c-45a1-4a7e-9a55-5d1c2a0f6b11");
    private static final UUID USER = UUID.fromString("4e1f7c2a-8b3d-4c6e-9f01-23456789abcd");
    private static final Path SLOWFS = Path.of("../benchmarks/slowfs.py");
    private static final long WRITE_MS = 400;
    private static final int PIXELS_WHILE_SLOW = 20;

    @TempDir
    Path tmp;

    @Test
    void aSlowDiskMovesTheJournalWritesOffTheEventLoopsAndLosesNothing() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")) && Files.exists(Path.of("/dev/fuse")),
                "a FUSE mount with allow_other needs root and /dev/fuse");
        Assumptions.assumeTrue(run("/usr/bin/python3", "-c", "import fusepy") == 0, "needs python3-fusepy");
        Assumptions.assumeTrue(run("mountpoint", "-q", "/") == 0, "needs mountpoint (util-linux)");
        Path back = Files.createDirectories(tmp.resolve("back"));
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        Path delay = tmp.resolve("delay");
        Files.writeString(delay, "0");
        Process fs = new ProcessBuilder("/usr/bin/python3", SLOWFS.toString(), back.toString(), mnt.toString(), delay.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("slowfs.log").toFile()).start();
        try {
            Await.until("the slow file system to be mounted", Duration.ofSeconds(20), () -> run("mountpoint", "-q", mnt.toString()) == 0);
            int sent = 0;
            long tookMs;
            try (EdgeProcess edge = EdgeProcess.start(mnt.resolve("data"), Map.of("EDGE_ACK", "memory"));
                 RawHttp c = new RawHttp(edge.port())) {
                // The disk is fast: the loops write their own batches.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (edge.metric("edge_journal_batches_inline_total") < 1) {
                    assertTrue(System.nanoTime() < deadline, "no loop wrote its batch: " + edge.stderrText());
                    sent = pixel(edge, c, sent);
                }
                // Python's FUSE round trips can make a turn slow on a busy machine: count from here.
                double pausesBefore = edge.metric("edge_journal_slow_disk_pauses_total");
                deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (edge.metric("edge_journal_slow_disk_paused") != 0) {
                    assertTrue(System.nanoTime() < deadline, "the loops were paused on the fast disk: " + edge.stderrText());
                    sent = pixel(edge, c, sent);
                }

                Files.writeString(delay, Long.toString(WRITE_MS));
                // Each pixel's batch is written after its answer, and on a loop the next request on the
                // connection waits for that write: two such turns in a row hand the writing to the appender
                // thread. Usually the first two pixels do it; but when the appender thread holds the turn
                // (a tick's straggler) the loop only publishes, and the slow turns are the thread's, so
                // send until the pause is counted.
                deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (edge.metric("edge_journal_slow_disk_pauses_total") <= pausesBefore) {
                    assertTrue(System.nanoTime() < deadline, "the loops never paused on the slow disk: " + edge.stderrText());
                    sent = pixel(edge, c, sent);
                }
                // Were a loop still writing, each of these would wait a write, and they would take 8 s.
                long start = System.nanoTime();
                for (int i = 0; i < PIXELS_WHILE_SLOW; i++) {
                    sent = pixel(edge, c, sent);
                }
                tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(tookMs < PIXELS_WHILE_SLOW * WRITE_MS / 2,
                        PIXELS_WHILE_SLOW + " pixels took " + tookMs + " ms on a disk whose writes take " + WRITE_MS + " ms");
                assertEquals(1, edge.metric("edge_journal_slow_disk_paused"), "the disk is still slow");
                assertTrue(edge.stderrText().contains("journal writes on an event loop took"), "no WARN for the pause");

                Files.writeString(delay, "0");
                long inlineBefore = (long) edge.metric("edge_journal_batches_inline_total");
                deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (edge.metric("edge_journal_slow_disk_paused") != 0
                        || edge.metric("edge_journal_batches_inline_total") <= inlineBefore) {
                    assertTrue(System.nanoTime() < deadline, "the loops never wrote again once the disk was fast");
                    sent = pixel(edge, c, sent);
                }
                edge.terminate();
                assertEquals(0, edge.awaitExit(Duration.ofSeconds(60)));
            }
            EdgeProcess.JournalContents journal = EdgeProcess.readJournal(back.resolve("data").resolve("journal"));
            long duplicates = journal.emailCounts().values().stream().filter(n -> n > 1).count();
            FaultReport.record("journal-disk-slow", "every journal write takes " + WRITE_MS + " ms (a FUSE file system) under "
                    + "a running edge; ack=memory pixels on one keep-alive connection", sent, sent, journal.records(), duplicates,
                    sent - journal.records(), PIXELS_WHILE_SLOW + " pixels answered in " + tookMs + " ms while the disk was slow "
                    + "(the loops had stopped writing it); the loops wrote again once it was fast");
            assertEquals(sent, journal.records(), "pixels answered, records journaled");
            for (int i = 0; i < sent; i++) {
                assertEquals(1, journal.count("slow-disk-" + i), "pixel " + i);
            }
        } finally {
            fs.destroy(); // fusepy unmounts as it exits
            if (!fs.waitFor(10, TimeUnit.SECONDS)) {
                fs.destroyForcibly();
            }
            if (run("mountpoint", "-q", mnt.toString()) == 0) {
                run("umount", "-l", mnt.toString());
            }
        }
    }

    /** Sends pixel number {@code n} (its own email) on {@code c}; returns {@code n + 1}. */
    private static int pixel(EdgeProcess edge, RawHttp c, int n) throws IOException {
        RawHttp.Response r = c.get(edge.pixelPath(EdgeProcess.fields(TENANT, USER, "slow-disk-" + n)));
        assertEquals(200, r.status(), "pixel " + n);
        return n + 1;
    }

    private static int run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }
}
