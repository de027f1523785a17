package io.trackedge.token;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.trackedge.http.Responses;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, defect 1 at the source: a token another signer made, correctly signed with the edge's
 * key, whose strings PostgreSQL text cannot hold (U+0000) or that are not UTF-8. Over real sockets:
 * the pixel still gets its GIF and the click its 400, nothing reaches the journal, and the
 * bad-token counter goes up, so one such request cannot stall the sinks.
 */
class UnstorableTokensTest {

    private static String signed(TokenKind kind, EventFields fields) {
        return UnsafeTokens.sign(TestEdge.KEYS.signingKey(), kind, FieldsCodec.encode(fields), new byte[0]);
    }

    @Test
    void aSignedTokenWithNulOrInvalidUtf8GetsItsAnswerIsCountedAndRecordsNothing() throws Exception {
        try (TestEdge edge = TestEdge.start(); RawHttp c = new RawHttp(edge.port())) {
            EventFields nulCampaign = new EventFields(TestEdge.TENANT, TestEdge.USER, "a\u0000b", "m", "nul-campaign", null, null, null);
            EventFields nulStep = new EventFields(TestEdge.TENANT, TestEdge.USER, "c", "m", "nul-step", "lead", "\u0000", null);
            byte[] block = FieldsCodec.encode(new EventFields(TestEdge.TENANT, TestEdge.USER, "c", "xx", "bad-utf8", null, null, null));
            block[32 + 2 + 1] = (byte) 0xC3; // mailbox "xx" becomes C3 78: a lead byte without its continuation
            String badUtf8 = UnsafeTokens.sign(TestEdge.KEYS.signingKey(), TokenKind.OPEN, block, new byte[0]);
            for (String token : List.of(signed(TokenKind.OPEN, nulCampaign), signed(TokenKind.OPEN, nulStep), badUtf8)) {
                assertEquals(TokenVerifier.MALFORMED, new TokenVerifier(TestEdge.KEYS).verify(token, 0, token.length(), new byte[0], 0));
                RawHttp.Response r = c.get("/o/" + token + ".gif");
                assertEquals(200, r.status());
                assertArrayEquals(Responses.GIF, r.body());
            }
            String click = signed(TokenKind.CLICK, nulCampaign.withInlineUrl("https://shop.example/"));
            RawHttp.Response r = c.get("/c/" + click);
            assertEquals(400, r.status());
            assertNull(r.header("location"));

            assertEquals(200, c.get(edge.pixelPath("good")).status());
            List<EventRecord> events = awaitEvents(edge, 1);
            assertEquals("good", events.get(0).fields().email(), "only the good pixel is journaled");
            String metrics = edge.metrics();
            assertEquals(3.0, TestEdge.sample(metrics, "edge_invalid_tokens_total{route=\"pixel\"}"), metrics);
            assertEquals(1.0, TestEdge.sample(metrics, "edge_invalid_tokens_total{route=\"click\"}"), metrics);
            assertEquals(0.0, TestEdge.sample(metrics, "edge_invalid_tokens_total{route=\"unsubscribe\"}"), metrics);
            // routes without tokens (ingest, erasure, stats: API keys) have no series that could only read 0
            assertEquals(3, metrics.lines().filter(l -> l.startsWith("edge_invalid_tokens_total{")).count(), metrics);
        }
    }

    private static List<EventRecord> awaitEvents(TestEdge edge, int n) throws InterruptedException {
        List<EventRecord> events = io.trackedge.sink.testing.Await.until(n + " events journaled", Duration.ofSeconds(10),
                edge::journalEvents, e -> e.size() >= n);
        assertEquals(n, events.size(), events.toString());
        return events;
    }
}
