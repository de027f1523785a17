package io.trackedge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every close the edge initiates on a keep-alive connection is counted by reason
 * ({@code edge_http_closes_total}), and none leaves a request that arrived unanswered.
 */
class ConnectionClosesTest {

    /**
     * The request clock runs from a request's first byte, not from the first request of the
     * connection: the check armed by request 1 fires while request 2 is half sent, and request 2,
     * quick on its own, is answered.
     */
    @Test
    void aRequestHalfSentWhenAnEarlierRequestsTimerFiresIsAnswered() throws Exception {
        try (TestEdge edge = TestEdge.start("EDGE_REQUEST_TIMEOUT", "2s");
             RawHttp c = new RawHttp(edge.port())) {
            long t0 = System.nanoTime();
            assertEquals(200, c.get(edge.pixelPath("timer-1")).status());
            String second = "GET " + edge.pixelPath("timer-2") + " HTTP/1.1\r\nHost: t.example\r\n";
            // The client's pacing is the test's input: the head 1.7 s after request 1, the end
            // 0.5 s later, across the 2 s check that request 1 armed.
            TimeUnit.NANOSECONDS.sleep(t0 + TimeUnit.MILLISECONDS.toNanos(1700) - System.nanoTime());
            c.send(second);
            TimeUnit.MILLISECONDS.sleep(500);
            c.send("\r\n");
            assertEquals(200, c.read(false).status());
            assertEquals(200, c.get(edge.pixelPath("timer-3")).status(), "the connection is still open");
            assertEquals(0.0, closes(edge, "request-timeout"));
        }
    }

    /**
     * Regression: with an idle timeout shorter than the request timeout, a request whose head
     * stopped half way was closed by the idle timer with no answer. It is a request that timed
     * out, and gets its 408 before the close.
     */
    @Test
    void aRequestStalledPastTheIdleTimeoutGets408NotASilentClose() throws Exception {
        try (TestEdge edge = TestEdge.start("EDGE_IDLE_TIMEOUT", "300ms", "EDGE_REQUEST_TIMEOUT", "30s");
             RawHttp c = new RawHttp(edge.port())) {
            assertEquals(200, c.get(edge.pixelPath("idle-1")).status());
            c.send("GET " + edge.pixelPath("idle-2") + " HTTP/1.1\r\nHost: t.example\r\n");
            RawHttp.Response r = c.read(false);
            assertEquals(408, r.status());
            assertEquals("close", r.header("connection"));
            assertTrue(c.closedByServer());
            assertEquals(1.0, closes(edge, "request-timeout"));
            assertEquals(0.0, closes(edge, "idle"));
        }
    }

    @Test
    void anIdleConnectionOwedNothingIsClosedAndCountedAsIdle() throws Exception {
        try (TestEdge edge = TestEdge.start("EDGE_IDLE_TIMEOUT", "300ms");
             RawHttp c = new RawHttp(edge.port())) {
            assertEquals(200, c.get(edge.pixelPath("quiet")).status());
            assertTrue(c.closedByServer());
            assertEquals(1.0, closes(edge, "idle"));
        }
    }

    @Test
    void closesAskedForByTheClientAreCountedAsSuch() throws Exception {
        try (TestEdge edge = TestEdge.start();
             RawHttp c = new RawHttp(edge.port())) {
            c.send("GET " + edge.pixelPath("bye") + " HTTP/1.1\r\nHost: t.example\r\nConnection: close\r\n\r\n");
            assertEquals(200, c.read(false).status());
            assertTrue(c.closedByServer());
            assertEquals(1.0, closes(edge, "client-asked"));
        }
    }

    private static double closes(TestEdge edge, String reason) throws IOException, InterruptedException {
        String line = "edge_http_closes_total{reason=\"" + reason + "\"} ";
        try (HttpClient http = HttpClient.newHttpClient()) {
            String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.adminPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            for (String l : body.split("\n")) {
                if (l.startsWith(line)) {
                    return Double.parseDouble(l.substring(line.length()).trim());
                }
            }
            throw new AssertionError("no " + line + " in\n" + body);
        }
    }
}
