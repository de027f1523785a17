package io.trackedge.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.journal.EventRecord;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.URI;
import org.junit.jupiter.api.Test;

/** Limits and settings that need an edge of their own. */
class ListenerLimitsTest {

    @Test
    void connectionsOverTheCapGet503AndAreClosed() throws Exception {
        try (TestEdge edge = TestEdge.start("EDGE_MAX_CONNECTIONS", "2");
             RawHttp a = new RawHttp(edge.port());
             RawHttp b = new RawHttp(edge.port())) {
            assertEquals(200, a.get(edge.pixelPath("cap-a")).status());
            assertEquals(200, b.get(edge.pixelPath("cap-b")).status());
            try (RawHttp c = new RawHttp(edge.port())) {
                RawHttp.Response r = c.read(false);
                assertEquals(503, r.status());
                assertEquals("1", r.header("retry-after"));
                assertTrue(c.closedByServer());
            }
            assertEquals(200, a.get(edge.pixelPath("cap-a2")).status());
        }
    }

    @Test
    void idleConnectionsAreClosed() throws Exception {
        try (TestEdge edge = TestEdge.start("EDGE_IDLE_TIMEOUT", "300ms");
             RawHttp c = new RawHttp(edge.port())) {
            assertEquals(200, c.get(edge.pixelPath("idle")).status());
            c.timeout(5000);
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void forwardedForFromATrustedProxyGivesTheClientAddress() throws Exception {
        try (TestEdge edge = TestEdge.start("EDGE_TRUSTED_PROXIES", "127.0.0.0/8, 10.0.0.0/8")) {
            try (RawHttp c = new RawHttp(edge.port())) {
                // client-supplied entry on the left is not believed; 10.1.2.3 is another trusted proxy
                c.send("GET " + edge.pixelPath("xff") + " HTTP/1.1\r\nHost: t\r\n"
                        + "X-Forwarded-For: 6.6.6.6, 198.51.100.7, 10.1.2.3\r\n\r\n");
                assertEquals(200, c.read(false).status());
                c.send("GET " + edge.pixelPath("xff6") + " HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 2001:db8::1\r\n\r\n");
                assertEquals(200, c.read(false).status());
                c.send("GET " + edge.pixelPath("xff-bad") + " HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: not-an-ip\r\n\r\n");
                assertEquals(200, c.read(false).status());
            }
            EventRecord v4 = edge.journalEvents().stream().filter(e -> e.fields().email().equals("xff")).findFirst().orElseThrow();
            assertArrayEquals(new byte[] {(byte) 198, 51, 100, 7}, v4.ip());
            EventRecord v6 = edge.journalEvents().stream().filter(e -> e.fields().email().equals("xff6")).findFirst().orElseThrow();
            assertEquals(16, v6.ip().length);
            assertEquals(0x20, v6.ip()[0]);
            EventRecord bad = edge.journalEvents().stream().filter(e -> e.fields().email().equals("xff-bad")).findFirst().orElseThrow();
            assertArrayEquals(new byte[] {127, 0, 0, 1}, bad.ip());
        }
    }

    /**
     * A balancer that adds its own {@code X-Forwarded-For} line (HAProxy's {@code option forwardfor})
     * leaves the client's line first: the lines are one list (RFC 9110), read from the last one's
     * right, never the client's line alone.
     */
    @Test
    void forwardedForOverSeveralLinesIsReadFromTheLastLine() throws Exception {
        try (TestEdge edge = TestEdge.start("EDGE_TRUSTED_PROXIES", "127.0.0.0/8, 10.0.0.0/8")) {
            try (RawHttp c = new RawHttp(edge.port())) {
                c.send("GET " + edge.pixelPath("xff-lines") + " HTTP/1.1\r\nHost: t\r\n"
                        + "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: 198.51.100.7, 10.1.2.3\r\n\r\n");
                assertEquals(200, c.read(false).status());
                c.send("GET " + edge.pixelPath("xff-lines-bad") + " HTTP/1.1\r\nHost: t\r\n"
                        + "X-Forwarded-For: not-an-ip\r\nX-Forwarded-For: 198.51.100.8\r\n\r\n");
                assertEquals(200, c.read(false).status());
            }
            EventRecord two = edge.journalEvents().stream().filter(e -> e.fields().email().equals("xff-lines")).findFirst().orElseThrow();
            assertArrayEquals(new byte[] {(byte) 198, 51, 100, 7}, two.ip());
            EventRecord bad = edge.journalEvents().stream().filter(e -> e.fields().email().equals("xff-lines-bad")).findFirst()
                    .orElseThrow();
            assertArrayEquals(new byte[] {(byte) 198, 51, 100, 8}, bad.ip());
        }
    }

    /**
     * A client that sends its requests and shuts its sending side (half-close) is answered, in order,
     * and then the edge closes: the answers under journal and fsync wait for the journal, and the end
     * of input used to close the connection with them still held (the events recorded, the client
     * answered nothing, and retrying). A request cut short by the end gets its 400.
     */
    @Test
    void aClientThatHalfClosesGetsItsAnswersThenTheEnd() throws Exception {
        for (String mode : new String[] {"journal", "fsync", "memory"}) {
            try (TestEdge edge = TestEdge.start("EDGE_ACK", mode)) {
                try (RawHttp c = new RawHttp(edge.port())) {
                    c.send("GET " + edge.pixelPath("half-1-" + mode) + " HTTP/1.1\r\nHost: t\r\n\r\n"
                            + "GET " + edge.pixelPath("half-2-" + mode) + " HTTP/1.1\r\nHost: t\r\n\r\n");
                    c.shutdownOutput();
                    for (int i = 0; i < 2; i++) {
                        RawHttp.Response r = c.read(false);
                        assertEquals(200, r.status(), mode);
                        assertArrayEquals(Responses.GIF, r.body(), mode);
                    }
                    assertTrue(c.closedByServer(), mode);
                }
                try (RawHttp c = new RawHttp(edge.port())) {
                    c.send("GET " + edge.pixelPath("half-cut-" + mode) + " HTTP/1.1\r\nHost: t\r\nUser-Ag");
                    c.shutdownOutput();
                    assertEquals(400, c.read(false).status(), mode);
                    assertTrue(c.closedByServer(), mode);
                }
                edge.stop();
                for (String email : new String[] {"half-1-" + mode, "half-2-" + mode}) {
                    assertEquals(1, edge.journalEvents().stream().filter(e -> e.fields().email().equals(email)).count(), email);
                }
            }
        }
    }

    @Test
    void memoryAndFsyncModesServeTheSameBytes() throws Exception {
        for (String mode : new String[] {"memory", "fsync"}) {
            try (TestEdge edge = TestEdge.start("EDGE_ACK", mode); RawHttp c = new RawHttp(edge.port())) {
                RawHttp.Response r = c.get(edge.pixelPath("mode-" + mode));
                assertEquals(200, r.status());
                assertArrayEquals(Responses.GIF, r.body());
                edge.stop();
                assertEquals(1, edge.journalEvents().stream().filter(e -> e.fields().email().equals("mode-" + mode)).count(), mode);
            }
        }
    }

    @Test
    void adminListenerServesHealthReadinessAndMetrics() throws Exception {
        try (TestEdge edge = TestEdge.start(); RawHttp c = new RawHttp(edge.port())) {
            c.get(edge.pixelPath("m1"));
            c.get("/o/bad.gif");
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + edge.adminPort();
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode());
            HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ready.statusCode());
            assertTrue(ready.body().contains("\"ready\" : true"), ready.body());
            String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(metrics.contains("edge_http_requests_total{route=\"pixel\",status=\"200\"} 2.0"), metrics);
            assertTrue(metrics.contains("edge_invalid_tokens_total{route=\"pixel\"} 1.0"), metrics);
            assertTrue(metrics.contains("edge_ring_remaining_capacity"), metrics);
            assertTrue(metrics.contains("edge_journal_appended_records_total 1.0"), metrics);
            assertTrue(metrics.contains("edge_journal_appended_bytes_total"), metrics);
            assertTrue(metrics.contains("edge_journal_fsync_seconds_total"), metrics);
            assertEquals(404, http.send(HttpRequest.newBuilder(URI.create(base + "/nope")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
        }
    }
}
