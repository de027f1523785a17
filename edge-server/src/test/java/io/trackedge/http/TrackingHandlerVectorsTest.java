package io.trackedge.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.trackedge.config.AckMode;
import io.trackedge.config.RingFullPolicy;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.journal.JournalReader;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.RecordCodec;
import io.trackedge.metrics.EdgeMetrics;
import io.trackedge.ring.EventRing;
import io.trackedge.ring.JournalAppender;
import io.trackedge.sink.testing.Await;
import io.trackedge.token.KeyRing;
import io.trackedge.token.Vectors;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sends every vector's request path through the real decoder and TrackingHandler, with a real ring
 * and journal: valid tokens are answered and recorded with their fields, invalid ones get the GIF
 * (pixel) or 400 (click) and record nothing.
 */
class TrackingHandlerVectorsTest {

    @TempDir
    Path dir;
    private JournalWriter journal;
    private JournalAppender appender;
    private EventRing ring;
    private Responses responses;
    private EdgeContext edge;

    @BeforeEach
    void start() throws Exception {
        journal = JournalWriter.open(dir, JournalWriter.DEFAULT_SEGMENT_BYTES, 1L << 30, new JournalStats());
        appender = new JournalAppender(journal, AckMode.MEMORY, () -> { });
        ring = new EventRing(1024, "blocking", appender);
        responses = new Responses();
        edge = new EdgeContext(ring, responses, new EdgeMetrics(), AckMode.MEMORY, RingFullPolicy.SHED,
                new ClientAddress(List.of()), KeyRing.parse(Vectors.VERIFY_RING));
    }

    @AfterEach
    void stop() throws Exception {
        ring.drainAndStop(10, TimeUnit.SECONDS);
        journal.close();
        responses.release();
    }

    private record Response(int status, String head, byte[] body) {
        String header(String name) {
            for (String line : head.split("\r\n")) {
                if (line.regionMatches(true, 0, name + ":", 0, name.length() + 1)) {
                    return line.substring(name.length() + 1).trim();
                }
            }
            return null;
        }
    }

    private Response get(String path) {
        EmbeddedChannel ch = new EmbeddedChannel(
                new HttpRequestDecoder(new HttpDecoderConfig().setMaxInitialLineLength(8192)), new TrackingHandler(edge));
        try {
            ch.writeInbound(Unpooled.copiedBuffer("GET " + path + " HTTP/1.1\r\nHost: t.example.com\r\n"
                    + "User-Agent: vectors\r\n\r\n", StandardCharsets.ISO_8859_1));
            ByteBuf out = ch.readOutbound();
            assertTrue(out != null, "no response to " + path);
            try {
                byte[] all = ByteBufUtil.getBytes(out);
                String text = new String(all, StandardCharsets.ISO_8859_1);
                int split = text.indexOf("\r\n\r\n");
                String head = text.substring(0, split);
                return new Response(Integer.parseInt(head.substring(9, 12)), head, Arrays.copyOfRange(all, split + 4, all.length));
            } finally {
                out.release();
            }
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    private void awaitHandled(long sequence) {
        Await.until("event " + sequence + " handed to the journal", Duration.ofSeconds(10), () -> appender.handledSequence() >= sequence);
        assertEquals(sequence, appender.handledSequence(), "events journaled");
    }

    private List<EventRecord> journaled() throws Exception {
        List<EventRecord> records = new ArrayList<>();
        try (JournalReader r = new JournalReader(dir, 0, journal::flushedPosition)) {
            while (r.read((position, next, payload, offset, length) -> records.add(RecordCodec.decode(payload, offset, length)), 100) > 0) {
                // keep reading
            }
        }
        return records;
    }

    @Test
    void invalidTokensGetTheGifOr400AndRecordNothing() throws Exception {
        for (Vectors.Invalid v : Vectors.INVALID) {
            Response r = get(v.path());
            if (v.route().equals("open")) {
                assertEquals(200, r.status(), v.name());
                assertEquals("image/gif", r.header("Content-Type"), v.name());
                assertArrayEquals(Responses.GIF, r.body(), v.name());
            } else {
                assertEquals(400, r.status(), v.name());
                assertNull(r.header("Location"), v.name());
            }
        }
        // One valid pixel afterwards is the first event: none of the refused requests took a ring slot.
        Vectors.Valid open = Vectors.VALID.get(0);
        assertEquals(200, get(open.path()).status());
        awaitHandled(0);
        List<EventRecord> records = journaled();
        assertEquals(1, records.size());
        assertEquals(open.fields(), records.get(0).fields());
    }

    @Test
    void validTokensAreAnsweredAndRecordedWithTheirFields() throws Exception {
        for (Vectors.Valid v : Vectors.VALID) {
            Response r = get(v.path());
            if (v.kind() == 1) {
                assertEquals(200, r.status(), v.name());
                assertArrayEquals(Responses.GIF, r.body(), v.name());
            } else {
                assertEquals(302, r.status(), v.name());
                assertEquals(v.url(), r.header("Location"), v.name());
            }
        }
        awaitHandled(Vectors.VALID.size() - 1);
        List<EventRecord> records = journaled();
        assertEquals(Vectors.VALID.size(), records.size());
        for (int i = 0; i < records.size(); i++) {
            Vectors.Valid v = Vectors.VALID.get(i);
            EventRecord e = records.get(i);
            assertEquals(v.kind() == 1 ? EventType.OPEN : EventType.CLICK, e.type(), v.name());
            assertEquals(v.fields(), e.fields().withInlineUrl(null), v.name());
            assertEquals(v.kind() == 2 ? v.url() : null, e.fields().inlineUrl(), v.name());
            assertEquals(v.kind() == 1 ? null : v.url(), e.url(), v.name());
            assertEquals("vectors", e.userAgent(), v.name());
        }
    }

    /** Other spellings of valid requests (section 9: {@code ?u}, {@code ?u=}, repeated u, other parameters) answered as their vector. */
    @Test
    void acceptedPathsAreAnsweredAndRecordedAsTheirVector() throws Exception {
        for (Vectors.Accepted a : Vectors.ACCEPTED) {
            Vectors.Valid v = Vectors.valid(a.vector());
            Response r = get(a.path());
            if (v.kind() == 1) {
                assertEquals(200, r.status(), a.name());
                assertArrayEquals(Responses.GIF, r.body(), a.name());
            } else {
                assertEquals(302, r.status(), a.name());
                assertEquals(v.url(), r.header("Location"), a.name());
            }
        }
        awaitHandled(Vectors.ACCEPTED.size() - 1);
        List<EventRecord> records = journaled();
        assertEquals(Vectors.ACCEPTED.size(), records.size());
        for (int i = 0; i < records.size(); i++) {
            Vectors.Valid v = Vectors.valid(Vectors.ACCEPTED.get(i).vector());
            assertEquals(v.fields(), records.get(i).fields().withInlineUrl(null), Vectors.ACCEPTED.get(i).name());
        }
    }
}
