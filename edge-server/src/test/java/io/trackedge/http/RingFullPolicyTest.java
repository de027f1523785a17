package io.trackedge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
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
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full ring (the appender stuck behind a slow disk) never blocks an event loop: the configured
 * policy answers at once and counts what it did.
 */
class RingFullPolicyTest {

    private static final int RING = 64;
    private static final int REQUESTS = 200;

    @TempDir
    Path dir;

    private record Outcome(int ok, int unavailable, String metrics) {
    }

    private Outcome run(RingFullPolicy policy) throws Exception {
        return run(policy, (urls, i) -> "GET " + urls.pixel(TestEdge.fields("full-" + i)).substring("http://t.example".length())
                + " HTTP/1.1\r\nHost: t\r\n\r\n");
    }

    private Outcome run(RingFullPolicy policy, java.util.function.BiFunction<TrackingUrls, Integer, String> request) throws Exception {
        CountDownLatch disk = new CountDownLatch(1);
        JournalWriter journal = JournalWriter.open(dir.resolve(policy.name()), 4L << 20, 64L << 20, new JournalStats());
        // The appender blocks after its first batch, as it would behind a disk that stopped answering.
        JournalAppender appender = new JournalAppender(journal, AckMode.MEMORY, () -> {
            try {
                disk.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        EventRing ring = new EventRing(RING, "blocking", appender);
        Responses responses = new Responses();
        EdgeMetrics metrics = new EdgeMetrics();
        EdgeContext edge = new EdgeContext(ring, responses, metrics, AckMode.MEMORY, policy,
                new ClientAddress(List.of()), TestEdge.KEYS);
        TrackingUrls urls = new TrackingUrls("http://t.example", new TokenSigner(TestEdge.KEYS));
        EmbeddedChannel ch = new EmbeddedChannel(new HttpRequestDecoder(), new TrackingHandler(edge));
        int ok = 0;
        int unavailable = 0;
        try {
            for (int i = 0; i < REQUESTS; i++) {
                ch.writeInbound(Unpooled.copiedBuffer(request.apply(urls, i), StandardCharsets.US_ASCII));
                ByteBuf out = ch.readOutbound();
                String head = out.toString(StandardCharsets.US_ASCII);
                out.release();
                if (head.startsWith("HTTP/1.1 200")) {
                    ok++;
                } else if (head.startsWith("HTTP/1.1 503")) {
                    assertTrue(head.contains("Retry-After: 1"), head);
                    unavailable++;
                }
            }
            ByteArrayOutputStream scrape = new ByteArrayOutputStream();
            metrics.scrape(scrape);
            return new Outcome(ok, unavailable, scrape.toString(StandardCharsets.UTF_8));
        } finally {
            disk.countDown();
            ch.finishAndReleaseAll();
            ring.drainAndStop(10, TimeUnit.SECONDS);
            journal.close();
            responses.release();
        }
    }

    @Test
    void shedServesEveryPixelAndCountsTheEventsItCouldNotRecord() throws Exception {
        Outcome o = run(RingFullPolicy.SHED);
        assertEquals(REQUESTS, o.ok());
        assertEquals(0, o.unavailable());
        // the ring holds RING events (plus the one batch the appender took before it stuck)
        double shed = value(o.metrics(), "edge_events_shed_total{policy=\"shed\"}");
        assertTrue(shed >= REQUESTS - RING - 1 && shed <= REQUESTS - RING, "shed " + shed + "\n" + o.metrics());
    }

    @Test
    void rejectAnswers503WithRetryAfterAndCountsIt() throws Exception {
        Outcome o = run(RingFullPolicy.REJECT);
        assertEquals(REQUESTS, o.ok() + o.unavailable());
        assertTrue(o.unavailable() >= REQUESTS - RING - 1, o.toString());
        assertEquals(o.unavailable(), value(o.metrics(), "edge_events_shed_total{policy=\"reject\"}"), 0.0);
        assertEquals(o.unavailable(), value(o.metrics(), "edge_http_requests_total{route=\"pixel\",status=\"503\"}"), 0.0);
    }

    /** With the ring full under reject, a bad token gets the 503 a good one gets: the GIF would tell which tokens are valid. */
    @Test
    void underRejectABadTokenIsAnsweredAsAGoodOneWouldBe() throws Exception {
        Outcome o = run(RingFullPolicy.REJECT, (urls, i) -> "GET " + (i < REQUESTS / 2
                ? urls.pixel(TestEdge.fields("full-" + i)).substring("http://t.example".length()) : "/o/not-a-token-" + i + ".gif")
                + " HTTP/1.1\r\nHost: t\r\n\r\n");
        assertEquals(REQUESTS, o.ok() + o.unavailable(), o.toString());
        assertTrue(o.unavailable() >= REQUESTS - RING - 1, "the bad tokens after the ring filled got 503 too: " + o);
    }

    /** An unsubscribe must not be lost: under shed, what the ring cannot take gets a 503 the provider retries on. */
    @Test
    void aOneClickUnsubscribeTheRingCannotTakeIsRefusedUnderShedToo() throws Exception {
        String body = "List-Unsubscribe=One-Click";
        Outcome o = run(RingFullPolicy.SHED, (urls, i) -> "POST " + urls.unsubscribe(TestEdge.fields("unsub-" + i))
                .substring("http://t.example".length()) + " HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded"
                + "\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
        assertEquals(REQUESTS, o.ok() + o.unavailable(), o.toString());
        assertTrue(o.unavailable() >= REQUESTS - RING - 1, o.toString());
        assertEquals(o.unavailable(), value(o.metrics(), "edge_http_requests_total{route=\"unsubscribe\",status=\"503\"}"), 0.0);
    }

    private static double value(String scrape, String series) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1));
            }
        }
        return 0;
    }
}
