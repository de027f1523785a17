package io.trackedge.http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.trackedge.config.AckMode;
import io.trackedge.config.RingFullPolicy;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.metrics.EdgeMetrics;
import io.trackedge.ring.EventRing;
import io.trackedge.ring.JournalAppender;
import io.trackedge.testing.TestEdge;
import io.trackedge.token.TokenSigner;
import io.trackedge.token.TrackingUrls;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Under {@code ack=journal}, a journal that stops answering (a stalled disk) holds a pixel's answer, and
 * every later answer of its connection queues behind it. Nothing is written, so the socket never says
 * it is full: the connection stops reading at {@link 256} held answers. Before,
 * a client pipelining requests had every answer held in memory, without bound.
 */
class HeldAnswersTest {

    @TempDir
    Path dir;

    @Test
    void aConnectionStopsReadingWhileTooManyAnswersWaitForTheJournal() throws Exception {
        CountDownLatch disk = new CountDownLatch(1);
        CountDownLatch stuck = new CountDownLatch(1);
        JournalWriter journal = JournalWriter.open(dir, 4L << 20, 64L << 20, new JournalStats());
        JournalAppender appender = new JournalAppender(journal, AckMode.JOURNAL, () -> {
            stuck.countDown();
            try {
                disk.await(30, TimeUnit.SECONDS); // the disk stops answering after the first write
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        EventRing ring = new EventRing(64, "blocking", appender);
        Responses responses = new Responses();
        EdgeContext edge = new EdgeContext(ring, responses, new EdgeMetrics(), AckMode.JOURNAL, RingFullPolicy.SHED,
                new ClientAddress(List.of()), TestEdge.KEYS);
        TrackingUrls urls = new TrackingUrls("http://t.example", new TokenSigner(TestEdge.KEYS));
        EmbeddedChannel ch = new EmbeddedChannel(new HttpRequestDecoder(), new TrackingHandler(edge));
        try {
            for (int i = 0; i < 2; i++) {
                String path = urls.pixel(TestEdge.fields("held-" + i)).substring("http://t.example".length());
                ch.writeInbound(Unpooled.copiedBuffer("GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n", StandardCharsets.US_ASCII));
                // The second pixel only once the appender is stuck behind the first's write: its answer is held.
                assertTrue(i > 0 || stuck.await(10, TimeUnit.SECONDS), "the appender took the first pixel");
            }
            assertTrue(ch.config().isAutoRead(), "a few answers held: reading on");
            for (int i = 0; i < 2 * 256; i++) {
                ch.writeInbound(Unpooled.copiedBuffer("GET /nothing-" + i + " HTTP/1.1\r\nHost: t\r\n\r\n", StandardCharsets.US_ASCII));
            }
            assertFalse(ch.config().isAutoRead(), "reading paused with " + 256 + " answers held");
            disk.countDown(); // the disk answers again: the answers go out, and reading resumes
            io.trackedge.sink.testing.Await.until("reading resumed", java.time.Duration.ofSeconds(30), () -> {
                ch.runPendingTasks();
                return ch.config().isAutoRead();
            });
        } finally {
            disk.countDown();
            ch.finishAndReleaseAll();
            ring.drainAndStop(10, TimeUnit.SECONDS);
            journal.close();
            responses.release();
        }
    }
}
