package io.trackedge.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.trackedge.config.ConfigException;
import io.trackedge.config.ConfigLoader;
import io.trackedge.journal.EventRecord;
import io.trackedge.sink.testing.Await;
import io.trackedge.testing.LeakWatch;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The public listener behind a layer-4 load balancer ({@code edge.http.proxy-protocol}), over real
 * sockets: a trusted balancer's PROXY header (v1 text, v2 binary over IPv4 and IPv6) gives every
 * request of the connection its client address; a LOCAL header (the balancer's health check) and a
 * header from a peer that is not trusted leave the socket's; a client's own X-Forwarded-For behind
 * the header is not believed unless that client is itself a trusted proxy, nor behind a header that
 * names no client (LOCAL, UNKNOWN, a unix socket, UDP); a connection without a well-formed header in
 * time (none, garbage, too long, a trickle past request-timeout) is closed unanswered and counted,
 * and the listener goes on; the admin listener takes a health check with or without a header; no
 * buffer leaks ({@link LeakWatch}).
 */
class ProxyProtocolTest {

    private static LeakWatch watch;

    @BeforeAll
    static void watch() throws InterruptedException {
        watch = LeakWatch.start();
    }

    @AfterAll
    static void clean() throws InterruptedException {
        try {
            watch.assertClean();
        } finally {
            watch.close();
        }
    }

    /** The v2 signature: CR LF CR LF NUL CR LF "QUIT" LF. */
    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    private static String pixel(TestEdge edge, String email) {
        return "GET " + edge.pixelPath(email) + " HTTP/1.1\r\nHost: t.example\r\n\r\n";
    }

    private static byte[] ipOf(TestEdge edge, String email) {
        return Await.until("the event of " + email, Duration.ofSeconds(10), edge::journalEvents,
                        events -> events.stream().anyMatch(e -> e.fields().email().equals(email)))
                .stream().filter(e -> e.fields().email().equals(email)).findFirst().map(EventRecord::ip).orElseThrow();
    }

    /** Waits up to {@code millis} for the edge to close the connection (it sends nothing before a request): true if it did not. */
    private static boolean stillOpenAfter(RawHttp c, int millis) throws IOException {
        c.timeout(millis);
        try {
            return !c.closedByServer();
        } finally {
            c.timeout(30_000);
        }
    }

    private static byte[] v2(int command, int family, byte[] src, byte[] dst, int srcPort, int dstPort) {
        ByteBuffer b = ByteBuffer.allocate(16 + src.length * 2 + 4);
        b.put(V2_SIGNATURE).put((byte) (0x20 | command)).put((byte) family).putShort((short) (src.length * 2 + 4));
        b.put(src).put(dst).putShort((short) srcPort).putShort((short) dstPort);
        return b.array();
    }

    private static byte[] concat(byte[] a, String b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(a);
        out.write(b.getBytes(StandardCharsets.ISO_8859_1));
        return out.toByteArray();
    }

    @Test
    void aTrustedBalancersHeaderGivesEveryRequestOfTheConnectionItsClientAddress() throws Exception {
        try (TestEdge edge = TestEdge.start("EDGE_TRUSTED_PROXIES", "127.0.0.0/8", "EDGE_HTTP_PROXY_PROTOCOL", "true")) {
            try (RawHttp c = new RawHttp(edge.port())) {
                // the header and the first request in one segment, as a balancer forwards them
                c.send("PROXY TCP4 203.0.113.7 10.0.0.1 56324 443\r\n" + pixel(edge, "v1-first"));
                assertEquals(200, c.read(false).status());
                assertEquals(200, c.get(edge.pixelPath("v1-second")).status());
            }
            try (RawHttp c = new RawHttp(edge.port())) {
                byte[] src = InetAddress.getByName("2001:db8::7").getAddress();
                byte[] dst = InetAddress.getByName("2001:db8::1").getAddress();
                c.send(concat(v2(0x1, 0x21, src, dst, 40000, 443), pixel(edge, "v2-six")));
                assertEquals(200, c.read(false).status());
            }
            try (RawHttp c = new RawHttp(edge.port())) {
                c.send(v2(0x1, 0x11, new byte[] {(byte) 198, 51, 100, 9}, new byte[] {10, 0, 0, 1}, 40000, 443));
                // the header in a segment of its own: the edge reads it and waits for the request (no close within 200 ms)
                assertTrue(stillOpenAfter(c, 200), "a header alone is not refused");
                assertEquals(200, c.get(edge.pixelPath("v2-four")).status());
            }
            try (RawHttp c = new RawHttp(edge.port())) {
                // AWS's NLB adds a TLV (0xEA: the VPC endpoint) after the addresses
                byte[] tlv = {(byte) 0xEA, 0x00, 0x05, 0x01, 'v', 'p', 'c', 'e'};
                byte[] h = v2(0x1, 0x11, new byte[] {(byte) 198, 51, 100, 10}, new byte[] {10, 0, 0, 1}, 40000, 443);
                ByteBuffer b = ByteBuffer.allocate(h.length + tlv.length).put(h).put(tlv);
                b.putShort(14, (short) (12 + tlv.length));
                c.send(concat(b.array(), pixel(edge, "v2-tlv")));
                assertEquals(200, c.read(false).status());
            }
            try (RawHttp c = new RawHttp(edge.port())) {
                c.send(concat(v2(0x0, 0x00, new byte[0], new byte[0], 0, 0), pixel(edge, "v2-local")));
                assertEquals(200, c.read(false).status());
            }
            assertArrayEquals(new byte[] {(byte) 203, 0, 113, 7}, ipOf(edge, "v1-first"));
            assertArrayEquals(new byte[] {(byte) 203, 0, 113, 7}, ipOf(edge, "v1-second"));
            assertArrayEquals(InetAddress.getByName("2001:db8::7").getAddress(), ipOf(edge, "v2-six"));
            assertArrayEquals(new byte[] {(byte) 198, 51, 100, 9}, ipOf(edge, "v2-four"));
            assertArrayEquals(new byte[] {(byte) 198, 51, 100, 10}, ipOf(edge, "v2-tlv"));
            assertArrayEquals(new byte[] {127, 0, 0, 1}, ipOf(edge, "v2-local"), "a health check's LOCAL: the socket's");
        }
    }

    @Test
    void aConnectionsWarningNamesTheClientAndTheBalancer() throws Exception {
        Logger tracking = (Logger) LoggerFactory.getLogger(TrackingHandler.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        tracking.addAppender(logged);
        try (TestEdge edge = TestEdge.start("EDGE_TRUSTED_PROXIES", "127.0.0.0/8", "EDGE_HTTP_PROXY_PROTOCOL", "true");
             RawHttp c = new RawHttp(edge.port())) {
            // a request pipelined after one that asked to close: the edge warns of it when the connection ends
            c.send("PROXY TCP4 203.0.113.11 10.0.0.1 56324 443\r\nGET " + edge.pixelPath("closing")
                    + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" + pixel(edge, "after-close"));
            assertEquals(200, c.read(false).status());
            assertTrue(c.closedByServer());
            String warning = Await.until("the warning of the unanswered request", Duration.ofSeconds(10),
                    () -> logged.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains("unanswered"))
                            .findFirst().orElse(""), m -> !m.isEmpty());
            assertTrue(warning.contains("from 203.0.113.11 (via /127.0.0.1:"), warning);
        } finally {
            tracking.detachAppender(logged);
        }
    }

    @Test
    void aHeaderFromAPeerThatIsNotTrustedIsReadButNotBelieved() throws Exception {
        try (TestEdge edge = TestEdge.start("EDGE_TRUSTED_PROXIES", "192.0.2.0/24", "EDGE_HTTP_PROXY_PROTOCOL", "true");
             RawHttp c = new RawHttp(edge.port())) {
            c.send("PROXY TCP4 203.0.113.7 10.0.0.1 56324 443\r\n" + pixel(edge, "untrusted"));
            assertEquals(200, c.read(false).status());
            assertArrayEquals(new byte[] {127, 0, 0, 1}, ipOf(edge, "untrusted"));
        }
    }

    @Test
    void forwardedForBehindTheHeaderIsBelievedOnlyFromAClientThatIsItselfATrustedProxy() throws Exception {
        try (TestEdge edge = TestEdge.start("EDGE_TRUSTED_PROXIES", "127.0.0.0/8, 10.0.0.0/8", "EDGE_HTTP_PROXY_PROTOCOL", "true")) {
            try (RawHttp c = new RawHttp(edge.port())) {
                c.send("PROXY TCP4 203.0.113.7 10.0.0.1 56324 443\r\nGET " + edge.pixelPath("spoofed")
                        + " HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n");
                assertEquals(200, c.read(false).status());
            }
            try (RawHttp c = new RawHttp(edge.port())) {
                // an HTTP proxy of ours (10.9.9.9) behind the layer-4 balancer
                c.send("PROXY TCP4 10.9.9.9 10.0.0.1 56324 443\r\nGET " + edge.pixelPath("chained")
                        + " HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 198.51.100.7\r\n\r\n");
                assertEquals(200, c.read(false).status());
            }
            assertArrayEquals(new byte[] {(byte) 203, 0, 113, 7}, ipOf(edge, "spoofed"));
            assertArrayEquals(new byte[] {(byte) 198, 51, 100, 7}, ipOf(edge, "chained"));
        }
    }

    @Test
    void behindAHeaderThatNamesNoClientForwardedForIsNotBelieved() throws Exception {
        try (TestEdge edge = TestEdge.start("EDGE_TRUSTED_PROXIES", "127.0.0.0/8", "EDGE_HTTP_PROXY_PROTOCOL", "true")) {
            Map<String, byte[]> headers = Map.of(
                    "unknown", "PROXY UNKNOWN\r\n".getBytes(StandardCharsets.ISO_8859_1),
                    "local", v2(0x0, 0x00, new byte[0], new byte[0], 0, 0),
                    "udp", v2(0x1, 0x12, new byte[] {(byte) 203, 0, 113, 7}, new byte[] {10, 0, 0, 1}, 53, 53),
                    "unix", unixV2());
            for (Map.Entry<String, byte[]> h : headers.entrySet()) {
                try (RawHttp c = new RawHttp(edge.port())) {
                    c.send(concat(h.getValue(), "GET " + edge.pixelPath("none-" + h.getKey())
                            + " HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n"));
                    assertEquals(200, c.read(false).status(), h.getKey());
                }
            }
            for (String kind : headers.keySet()) {
                assertArrayEquals(new byte[] {127, 0, 0, 1}, ipOf(edge, "none-" + kind), kind + ": the socket's, not the client's claim");
            }
        }
    }

    /** A v2 PROXY header over AF_UNIX: two 108-byte paths. */
    private static byte[] unixV2() {
        ByteBuffer b = ByteBuffer.allocate(16 + 216);
        b.put(V2_SIGNATURE).put((byte) 0x21).put((byte) 0x31).putShort((short) 216);
        b.put("/run/haproxy.sock".getBytes(StandardCharsets.US_ASCII));
        return b.array();
    }

    @Test
    void aConnectionWithoutAWellFormedHeaderIsClosedUnansweredAndCounted() throws Exception {
        try (TestEdge edge = TestEdge.start("EDGE_TRUSTED_PROXIES", "127.0.0.0/8", "EDGE_HTTP_PROXY_PROTOCOL", "true",
                "EDGE_HTTP_REQUEST_TIMEOUT", "1s", "EDGE_HTTP_IDLE_TIMEOUT", "30s")) {
            for (String bad : new String[] {
                    pixel(edge, "no-header"), // a client that bypassed the balancer
                    "PROXY TCP4 not-an-address 10.0.0.1 1 2\r\n" + pixel(edge, "bad-address"),
                    "PROXY TCP4 203.0.113.7 10.0.0.1 56324 443" + "x".repeat(200) + "\r\n"}) { // past v1's 107 bytes
                try (RawHttp c = new RawHttp(edge.port())) {
                    c.send(bad);
                    assertTrue(c.closedByServer(), bad);
                }
            }
            try (RawHttp c = new RawHttp(edge.port())) {
                // a trickle: a byte at a time, each well inside the idle timeout, the whole past request-timeout
                long start = System.nanoTime();
                boolean closed = false;
                for (byte b : "PROXY TCP4 203.0.113.9 10.0.0.1 56324 443\r\n".getBytes(StandardCharsets.ISO_8859_1)) {
                    try {
                        c.send(new byte[] {b});
                    } catch (IOException e) {
                        closed = true; // reset: the edge closed it
                        break;
                    }
                    if (!stillOpenAfter(c, 100)) { // the trickle's pace is this wait for the edge's close
                        closed = true;
                        break;
                    }
                }
                long elapsed = System.nanoTime() - start;
                assertTrue(closed && elapsed < Duration.ofSeconds(4).toNanos(), "the edge cut the trickle before it ended"
                        + " (request-timeout 1 s; the whole trickle takes 4.4 s): closed " + closed + " after " + elapsed / 1_000_000 + " ms");
            }
            try (RawHttp c = new RawHttp(edge.port())) {
                // a v2 header announcing 8 KiB of TLVs: past what the decoder accepts
                ByteBuffer b = ByteBuffer.allocate(16 + 12 + 8192);
                b.put(V2_SIGNATURE).put((byte) 0x21).put((byte) 0x11).putShort((short) (12 + 8192));
                c.send(b.array());
                assertTrue(c.closedByServer(), "an oversize v2 header");
            }
            try (RawHttp c = new RawHttp(edge.port())) {
                // a connection silent past request-timeout (a balancer that sends the header with the client's
                // first data) is the idle timer's, not refused: the header's deadline starts at its first bytes
                assertTrue(stillOpenAfter(c, 1500), "a silent connection is not refused at request-timeout");
                c.send("PROXY TCP4 203.0.113.10 10.0.0.1 56324 443\r\n" + pixel(edge, "late-first-bytes"));
                assertEquals(200, c.read(false).status());
            }
            try (RawHttp c = new RawHttp(edge.port())) {
                c.send("PROXY TCP4 203.0.113.8 10.0.0.1 56324 443\r\n" + pixel(edge, "after"));
                assertEquals(200, c.read(false).status(), "the listener goes on");
            }
            assertArrayEquals(new byte[] {(byte) 203, 0, 113, 8}, ipOf(edge, "after"));
            assertTrue(edge.journalEvents().stream().noneMatch(e -> e.fields().email().equals("no-header")
                    || e.fields().email().equals("bad-address")), "nothing recorded from the refused connections");
            try (RawHttp admin = new RawHttp(edge.adminPort())) {
                admin.send("GET /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
                String metrics = admin.read(false).bodyText();
                assertTrue(metrics.contains("edge_http_closes_total{reason=\"proxy-protocol\"} 5.0"), metrics);
                assertTrue(metrics.contains("edge_http_closes_total{reason=\"internal-error\"} 0.0"), metrics);
            }
        }
    }

    /**
     * A balancer with the PROXY protocol on sends the header on its health checks too, to whatever
     * port they use: the admin listener reads one when a connection starts with it (v1, v2 with the
     * LOCAL command a check sends, a header in a segment of its own), serves requests without one as
     * before, and closes a connection whose header is malformed.
     */
    @Test
    void theAdminListenerTakesAHealthCheckWithOrWithoutAProxyHeader() throws Exception {
        try (TestEdge edge = TestEdge.start()) {
            String readyz = "GET /readyz HTTP/1.1\r\nHost: a\r\n\r\n";
            try (RawHttp c = new RawHttp(edge.adminPort())) {
                c.send("PROXY TCP4 10.0.0.2 10.0.0.1 56324 9090\r\n" + readyz);
                RawHttp.Response r = c.read(false);
                assertEquals(200, r.status(), r.bodyText());
                assertTrue(r.bodyText().contains("journal"), r.bodyText());
                assertEquals(200, c.get("/healthz").status(), "the connection goes on after the header");
            }
            try (RawHttp c = new RawHttp(edge.adminPort())) {
                // LOCAL (command 0), no addresses: what a balancer's own check sends
                c.send(concat(v2(0x0, 0x00, new byte[0], new byte[0], 0, 0), readyz));
                assertEquals(200, c.read(false).status());
            }
            try (RawHttp c = new RawHttp(edge.adminPort())) {
                c.send(v2(0x1, 0x11, new byte[] {10, 0, 0, 2}, new byte[] {10, 0, 0, 1}, 40000, 9090));
                assertTrue(stillOpenAfter(c, 200), "a header alone waits for its request");
                assertEquals(200, c.get("/healthz").status());
            }
            try (RawHttp c = new RawHttp(edge.adminPort())) {
                assertEquals(200, c.get("/healthz").status(), "no header: as before");
                assertEquals(200, c.get("/readyz").status());
            }
            try (RawHttp c = new RawHttp(edge.adminPort())) {
                c.send("PROXY TCP4 not-an-address 10.0.0.1 1 2\r\n" + readyz);
                assertTrue(c.closedByServer(), "a malformed header closes the connection");
            }
            assertTrue(edge.metrics().contains("edge_connections_open"), "the listener goes on");
        }
    }

    @Test
    void theSettingNeedsTrustedProxies() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(null, Map.of("EDGE_HTTP_PROXY_PROTOCOL", "true")));
        assertTrue(e.getMessage().contains("edge.http.proxy-protocol (EDGE_HTTP_PROXY_PROTOCOL): needs edge.trusted-proxies"),
                e.getMessage());
        assertTrue(ConfigLoader.load(null, Map.of("EDGE_HTTP_PROXY_PROTOCOL", "true", "EDGE_TRUSTED_PROXIES", "10.0.0.0/8"))
                .http().proxyProtocol());
    }
}
