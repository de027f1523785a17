package io.trackedge.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.sink.testing.Await;
import io.trackedge.testing.HostileClient;
import io.trackedge.testing.HostileReport;
import io.trackedge.testing.LeakWatch;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Slow and idle clients against an edge with a 1 s request timeout and a 4 s idle timeout:
 * slowloris headers and bodies are cut off at the request deadline with a 408, idle keep-alive
 * connections are left to the idle timeout, many idle connections neither stop others from being
 * served nor outlive the idle timeout, and a client that never reads its answers cannot make the
 * edge buffer without bound.
 */
class HostileSlowClientsTest {

    private static final String SUITE = "HostileSlowClientsTest";
    private static final String SLOWLORIS = "slowloris";
    private static final String IDLE = "idle-connections";
    private static final String SLOW_READER = "slow-reader";
    private static final long REQUEST_TIMEOUT_MS = 1000;
    private static final long IDLE_TIMEOUT_MS = 4000;

    private static TestEdge edge;
    private static LeakWatch watch;
    private static int pixels;

    @BeforeAll
    static void start() throws Exception {
        watch = LeakWatch.start();
        edge = TestEdge.start("EDGE_REQUEST_TIMEOUT", REQUEST_TIMEOUT_MS + "ms", "EDGE_IDLE_TIMEOUT", IDLE_TIMEOUT_MS + "ms");
        HostileReport.begin(SLOWLORIS, SUITE, "headers, bodies, chunks and empty lines trickled one byte per 300 ms "
                + "(request timeout 1 s), alone and 30 at once");
        HostileReport.begin(IDLE, SUITE, "connections that send nothing, or stop after a request (idle timeout 4 s), up to the connection cap");
        HostileReport.begin(SLOW_READER, SUITE, "pipelined requests from a client that never reads the answers");
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (edge != null) {
                edge.close();
            }
            HostileReport.write(SUITE);
            watch.assertClean();
        } finally {
            watch.close();
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static void assertPixelStillWorks() throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            c.timeout(2000);
            RawHttp.Response r = c.get(edge.pixelPath("slow-after-" + pixels++));
            assertEquals(200, r.status());
            assertArrayEquals(Responses.GIF, r.body());
        }
    }

    /** How one trickled request ended: what came back, and when the last expected answer began to arrive. */
    private record Trickle(HostileClient.Result result, long millisToAnswer) {
    }

    /**
     * Sends {@code head} at once, then {@code drip} one byte every 300 ms until {@code answers}
     * responses have begun to arrive or the edge closes, then reads everything it sends.
     */
    private static Trickle trickle(String head, String drip, int answers) throws Exception {
        try (Socket s = new Socket("127.0.0.1", edge.port())) {
            s.setTcpNoDelay(true);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();
            long[] answeredAt = {-1};
            long begin = System.nanoTime();
            Thread reader = new Thread(() -> {
                byte[] b = new byte[4096];
                int n;
                try {
                    while ((n = in.read(b)) != -1) {
                        synchronized (received) {
                            received.write(b, 0, n);
                            if (answeredAt[0] < 0 && count(received.toString(StandardCharsets.ISO_8859_1), "HTTP/1.1 ") >= answers) {
                                answeredAt[0] = System.nanoTime();
                            }
                        }
                    }
                } catch (IOException e) {
                    synchronized (received) {
                        received.write('!'); // a reset: shows as malformed unless the answers came first
                    }
                }
            });
            reader.start();
            out.write(ascii(head));
            out.flush();
            for (int i = 0; i < 40 && reader.isAlive(); i++) {
                synchronized (received) {
                    if (answeredAt[0] >= 0) {
                        break;
                    }
                }
                try {
                    out.write(drip.charAt(i % drip.length()));
                    out.flush();
                } catch (IOException closed) {
                    break;
                }
                Thread.sleep(300); // the scenario: one byte per 300 ms, not a wait for anything
            }
            reader.join(10_000);
            byte[] bytes;
            synchronized (received) {
                bytes = received.toByteArray();
            }
            HostileClient.Result r = HostileClient.read(new java.io.ByteArrayInputStream(bytes));
            long at = answeredAt[0] < 0 ? System.nanoTime() : answeredAt[0];
            return new Trickle(r, (at - begin) / 1_000_000);
        }
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private static void assertCutOffAtTheDeadline(String name, String head, String drip, List<Integer> expected) throws Exception {
        Trickle t = trickle(head, drip, expected.size());
        HostileClient.Result r = t.result();
        HostileReport.count(SLOWLORIS, r.outcome(false));
        assertNull(r.malformed(), name + ": " + r.malformed());
        assertEquals(expected, r.statuses(), name + ": " + r.outcome(false));
        RawHttp.Response last = r.responses().get(r.responses().size() - 1);
        assertEquals("close", last.header("connection"), name);
        assertTrue(r.closed() && !r.reset(), name + ": " + r.outcome(false));
        long took = t.millisToAnswer();
        assertTrue(took >= REQUEST_TIMEOUT_MS - 50, name + ": cut off after " + took + " ms, before the deadline");
        assertTrue(took < REQUEST_TIMEOUT_MS + 2500, name + ": cut off only after " + took + " ms");
        assertPixelStillWorks();
    }

    @Test
    void aClientTricklingHeaderBytesIsCutOffAtTheRequestDeadline() throws Exception {
        assertCutOffAtTheDeadline("header bytes", "GET /o/x.gif HTTP/1.1\r\nHost: t\r\nX-Slow: ", "abcdefgh", List.of(408));
        assertCutOffAtTheDeadline("request line bytes", "G", "ET /o/x.gif", List.of(408));
        assertCutOffAtTheDeadline("header lines", "GET /o/x.gif HTTP/1.1\r\n", "a:b\r\n", List.of(408));
        // Empty lines are skipped by the decoder, but they count: else they would hold a connection forever.
        assertCutOffAtTheDeadline("empty lines", "\r\n", "\r\n", List.of(408));
        Trickle t = trickle("GET /o/x.gif HTTP/1.1\r\nX-Slow: ", "z", 1);
        RawHttp.Response r408 = t.result().responses().get(0);
        assertEquals("Request Timeout", r408.statusLine().substring(13));
        assertTrue(r408.bodyText().contains("Request timeout"), r408.bodyText());
        HostileReport.count(SLOWLORIS, t.result().outcome(false));
    }

    @Test
    void aClientTricklingABodyIsCutOffAtTheRequestDeadline() throws Exception {
        // Answered from the head at once, then the body the edge reads and drops is cut off.
        assertCutOffAtTheDeadline("pixel POST body", "POST /o/x.gif HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n", "b",
                List.of(405, 408));
        assertCutOffAtTheDeadline("chunked body", "POST /o/x.gif HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
                "1\r\nx\r\n", List.of(405, 408));
        assertCutOffAtTheDeadline("ingest body without a key", "POST /v1/events HTTP/1.1\r\nHost: t\r\n"
                + "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n[", "{}, ", List.of(401, 408));
    }

    @Test
    void aPipelinedRequestCannotBorrowTimeFromTheOneBefore() throws Exception {
        // A whole request and the start of another in one write: the second's clock starts then.
        assertCutOffAtTheDeadline("after a whole request", "GET " + edge.pixelPath("slow-pipe") + " HTTP/1.1\r\nHost: t\r\n\r\n"
                + "GET /o/x.gif HTTP/1.1\r\nX-Slow: ", "s", List.of(200, 408));
    }

    @Test
    void anIdleKeepAliveConnectionIsGovernedByTheIdleTimeoutNotTheRequestTimeout() throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            c.timeout(10_000);
            assertEquals(200, c.get(edge.pixelPath("idle-ka-1")).status());
            // The scenario, not a wait for anything: idle for three request timeouts, and still open,
            // because nothing was arriving.
            Thread.sleep(3 * REQUEST_TIMEOUT_MS);
            assertEquals(200, c.get(edge.pixelPath("idle-ka-2")).status());
            long since = System.nanoTime();
            assertTrue(c.closedByServer(), "closed at the idle timeout");
            long idle = (System.nanoTime() - since) / 1_000_000;
            // The edge's idle clock started when it wrote the answer, a moment before we took ours:
            // allow for that moment, still far above the request timeout.
            assertTrue(idle >= IDLE_TIMEOUT_MS - 1000, "closed after " + idle + " ms, before the idle timeout");
            assertTrue(idle < IDLE_TIMEOUT_MS + 4000, "closed only after " + idle + " ms");
            HostileReport.count(IDLE, "200 200, closed at the idle timeout");
        }
    }

    @Test
    void thirtySlowlorisClientsAtOnceDoNotDelayOthers() throws Exception {
        List<SocketChannel> slow = new ArrayList<>();
        List<java.io.ByteArrayOutputStream> received = new ArrayList<>();
        boolean[] ended = new boolean[30];
        try {
            for (int i = 0; i < 30; i++) {
                SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", edge.port()));
                ch.configureBlocking(false);
                ch.write(ByteBuffer.wrap(ascii("GET /o/x.gif HTTP/1.1\r\nX-Slow: ")));
                slow.add(ch);
                received.add(new java.io.ByteArrayOutputStream());
            }
            ByteBuffer in = ByteBuffer.allocate(4096);
            long begin = System.nanoTime();
            int served = 0;
            while (System.nanoTime() - begin < (REQUEST_TIMEOUT_MS + 4000) * 1_000_000L) {
                boolean allEnded = true;
                for (int i = 0; i < slow.size(); i++) {
                    SocketChannel ch = slow.get(i);
                    in.clear();
                    int n = ended[i] ? 0 : ch.read(in);
                    if (n > 0) {
                        received.get(i).write(in.array(), 0, n);
                    } else if (n < 0) {
                        ended[i] = true;
                    }
                    if (received.get(i).size() == 0) {
                        ch.write(ByteBuffer.wrap(new byte[] {'z'})); // still dripping: nothing came back yet
                    }
                    allEnded &= ended[i];
                }
                long t0 = System.nanoTime();
                assertPixelStillWorks();
                served++;
                // Generous for a loaded machine; a loop blocked by the slow clients would hold the pixel for the whole run.
                assertTrue(System.nanoTime() - t0 < 3_000_000_000L, "a pixel took over 3 s beside slowloris clients");
                if (allEnded) {
                    break;
                }
                Thread.sleep(300); // the scenario: each slow client drips a byte every 300 ms
            }
            assertTrue(served >= 3);
            // Every slow client got a 408 and a close.
            for (int i = 0; i < slow.size(); i++) {
                HostileClient.Result r = HostileClient.read(new java.io.ByteArrayInputStream(received.get(i).toByteArray()));
                HostileReport.count(SLOWLORIS, ended[i] ? r.outcome(false) : r.outcome(false).replace("closed", "left open"));
                assertNull(r.malformed());
                assertEquals(List.of(408), r.statuses());
                assertTrue(ended[i], "slow client " + i + " closed");
            }
        } finally {
            for (SocketChannel ch : slow) {
                ch.close();
            }
        }
    }

    @Test
    void manyIdleConnectionsAreServedAroundAndClosedAtTheIdleTimeout() throws Exception {
        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 300; i++) {
                Socket s = new Socket("127.0.0.1", edge.port());
                s.setSoTimeout(IDLE_TIMEOUT_MS > 0 ? (int) (IDLE_TIMEOUT_MS + 6000) : 0);
                idle.add(s);
            }
            // The gauge counts a connection once the event loop has accepted it, which trails connect().
            Await.until("300 idle connections accepted", Duration.ofSeconds(30),
                    HostileSlowClientsTest::openConnections, open -> open >= 300);
            for (int i = 0; i < 10; i++) {
                assertPixelStillWorks();
            }
            long begin = System.nanoTime();
            for (Socket s : idle) {
                // Sending nothing is not a request: the idle timeout closes it, with no answer.
                int b = s.getInputStream().read();
                HostileReport.count(IDLE, b == -1 ? "no response, closed at the idle timeout" : "answered: " + b);
                assertEquals(-1, b);
            }
            long took = (System.nanoTime() - begin) / 1_000_000;
            assertTrue(took < IDLE_TIMEOUT_MS + 6000, "all closed after " + took + " ms");
        } finally {
            for (Socket s : idle) {
                s.close();
            }
        }
        assertPixelStillWorks();
    }

    @Test
    void idleConnectionsAtTheCapAreFreedByTheIdleTimeout() throws Exception {
        try (TestEdge capped = TestEdge.start("EDGE_MAX_CONNECTIONS", "40", "EDGE_IDLE_TIMEOUT", "1500ms")) {
            List<Socket> idle = new ArrayList<>();
            try {
                for (int i = 0; i < 40; i++) {
                    idle.add(new Socket("127.0.0.1", capped.port()));
                }
                Await.until("the edge to hold the 40 idle connections", Duration.ofSeconds(10),
                        () -> openConnections(capped.adminPort()), n -> n >= 40);
                try (RawHttp over = new RawHttp(capped.port())) {
                    RawHttp.Response r = over.read(false);
                    assertEquals(503, r.status());
                    HostileReport.count(IDLE, "over the cap: 503, closed");
                }
                for (Socket s : idle) {
                    s.setSoTimeout(8000);
                    assertEquals(-1, s.getInputStream().read());
                }
                HostileReport.add(IDLE, "no response, closed at the idle timeout", idle.size());
            } finally {
                for (Socket s : idle) {
                    s.close();
                }
            }
            Await.until("the edge to free the idle connections", Duration.ofSeconds(10),
                    () -> openConnections(capped.adminPort()), n -> n == 0);
            try (RawHttp c = new RawHttp(capped.port())) {
                assertEquals(200, c.get(capped.pixelPath("cap-freed")).status());
            }
        }
    }

    private static int openConnections() throws Exception {
        return openConnections(edge.adminPort());
    }

    private static int openConnections(int adminPort) throws Exception {
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + adminPort + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^edge_connections_open (\\d+)").matcher(metrics);
        assertTrue(m.find(), metrics);
        return Integer.parseInt(m.group(1));
    }

    /**
     * Bug: the edge read requests whether or not the client read the answers, so a client that
     * pipelines requests and never reads made it queue answers in memory without bound, and kept
     * its event loop busy with them. Now it stops reading while the connection is not writable:
     * what it takes in is bounded by the socket buffers however much the client offers, and the
     * idle timeout then closes the connection.
     */
    @Test
    void regressionAClientThatNeverReadsMadeTheEdgeBufferWithoutBound() throws Exception {
        byte[] request = ascii("GET /o/ HTTP/1.1\r\nX-Pad: " + "p".repeat(200) + "\r\n\r\n");
        long offered = 96L << 20;
        long accepted = 0;
        try (SocketChannel ch = SocketChannel.open()) {
            ch.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 4096); // before connecting: a small window
            ch.connect(new InetSocketAddress("127.0.0.1", edge.port()));
            ch.configureBlocking(false);
            ByteBuffer burst = ByteBuffer.allocate(request.length * 4096);
            for (int i = 0; i < 4096; i++) {
                burst.put(request);
            }
            burst.flip();
            long end = System.nanoTime() + 12_000_000_000L;
            boolean stalled = false;
            int[] written = {0};
            while (accepted < offered && System.nanoTime() < end && !stalled) {
                if (!burst.hasRemaining()) {
                    burst.rewind();
                }
                // The socket buffers full: wait for the edge to read more; 2 s without it is a stall.
                stalled = !Await.within(Duration.ofSeconds(2), () -> (written[0] = ch.write(burst)) > 0);
                accepted += stalled ? 0 : written[0];
            }
            // Without the pause, the edge reads on as fast as it can answer into memory: no stall, or a late one.
            boolean bounded = stalled && accepted < (32L << 20);
            HostileReport.count(SLOW_READER, bounded ? "reading paused (under 32 MiB taken in), closed at the idle timeout"
                    : "read on without bound");
            assertTrue(bounded, "the edge took in " + (accepted >> 20) + " MiB from a client that reads nothing"
                    + (stalled ? "" : ", and was still reading"));
            // Meanwhile, others are served.
            assertPixelStillWorks();
            // Reading nothing and getting nothing written, the connection is idle: closed at the idle timeout.
            ch.configureBlocking(true);
            long since = System.nanoTime();
            ByteBuffer sink = ByteBuffer.allocate(1 << 16);
            int r;
            while ((r = ch.read(sink)) >= 0 && System.nanoTime() - since < 3 * IDLE_TIMEOUT_MS * 1_000_000L) {
                sink.clear(); // the answers, read only now
            }
            assertEquals(-1, r, "closed by the edge");
        }
        assertPixelStillWorks();
    }
}
