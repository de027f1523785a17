package io.trackedge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The admin listener's idle timeout (the listeners' {@code edge.http.idle-timeout}, 1 s here), over
 * real sockets: a connection that sends nothing, or half a request, is closed once the timeout passes
 * without traffic; a keep-alive connection is closed after its last request; one that keeps asking,
 * more often than the timeout, is not.
 */
class AdminListenerTest {

    private static TestEdge edge;

    @BeforeAll
    static void start() throws Exception {
        edge = TestEdge.start("EDGE_IDLE_TIMEOUT", "1s");
    }

    @AfterAll
    static void stop() throws Exception {
        edge.close();
    }

    private static boolean closedWithin(RawHttp c, int millis) throws Exception {
        c.timeout(millis);
        return c.closedByServer();
    }

    @Test
    void aConnectionThatSendsNothingIsClosedAtTheIdleTimeout() throws Exception {
        try (RawHttp c = new RawHttp(edge.adminPort())) {
            assertTrue(closedWithin(c, 5_000), "closed within 5 s of an idle timeout of 1 s");
        }
    }

    @Test
    void halfARequestDoesNotHoldTheConnection() throws Exception {
        try (RawHttp c = new RawHttp(edge.adminPort())) {
            c.send("GET /metrics HTTP/1.1\r\nHost: a\r\n");
            assertTrue(closedWithin(c, 5_000), "a request that stops half way is closed");
        }
    }

    @Test
    void aKeepAliveConnectionIsClosedAfterItsLastRequestOnly() throws Exception {
        try (RawHttp c = new RawHttp(edge.adminPort())) {
            long until = System.nanoTime() + 2_500_000_000L;
            while (System.nanoTime() < until) {
                // a request every 300 ms keeps the connection busy past 2 idle timeouts
                assertEquals(200, c.get("/healthz").status());
                assertFalse(closedWithin(c, 300), "not closed while it keeps asking");
            }
            assertTrue(closedWithin(c, 5_000), "closed once it stops");
        }
    }
}
