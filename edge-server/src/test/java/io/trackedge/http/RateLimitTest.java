package io.trackedge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.trackedge.testing.LeakWatch;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * {@code edge.http.rate-limit} over real sockets, with client addresses given by a trusted proxy's
 * X-Forwarded-For (and a balancer's PROXY header): an address past its burst gets 429 with Retry-After and records nothing, while
 * another address, a request that names no client behind the trusted proxy, an exempt network and
 * iCloud Private Relay are answered; the ingest API is not limited; the refusals are counted in
 * /metrics and reported in one log line; no buffer leaks ({@link LeakWatch}).
 */
class RateLimitTest {

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

    /** A relay egress range of the bundled snapshot (classify's apple-relay-egress.txt). */
    private static final String APPLE_RELAY = "104.28.28.1";

    private static TestEdge start(String... more) throws IOException, InterruptedException {
        List<String> env = new ArrayList<>(List.of("EDGE_TRUSTED_PROXIES", "127.0.0.0/8",
                // one a second and a burst of 3: the pipelined requests below arrive within one read, far inside a second
                "EDGE_HTTP_RATE_LIMIT_PER_SECOND", "1", "EDGE_HTTP_RATE_LIMIT_BURST", "3"));
        env.addAll(List.of(more));
        return TestEdge.start(env.toArray(new String[0]));
    }

    /** Sends {@code n} pixel requests for {@code email} pipelined in one write; returns their statuses in order. */
    private static List<Integer> pixels(RawHttp c, TestEdge edge, String client, String email, int n) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append("GET ").append(edge.pixelPath(email + "-" + i)).append(" HTTP/1.1\r\nHost: t.example\r\n");
            if (client != null) {
                b.append("X-Forwarded-For: ").append(client).append("\r\n");
            }
            b.append("\r\n");
        }
        c.send(b.toString());
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            RawHttp.Response r = c.read(false);
            statuses.add(r.status());
            if (r.status() == 429) {
                assertEquals("1", r.header("retry-after"));
            }
        }
        return statuses;
    }

    private static long recorded(TestEdge edge, String prefix) {
        return edge.journalEvents().stream().filter(e -> e.fields().email().startsWith(prefix + "-")).count();
    }

    private static String metrics(TestEdge edge) throws IOException {
        try (RawHttp admin = new RawHttp(edge.adminPort())) {
            admin.send("GET /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            return admin.read(false).bodyText();
        }
    }

    private static double sample(String metrics, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    @Test
    void anAddressPastItsBurstGets429AndRecordsNothingWhileOthersAreAnswered() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(AddressRateLimit.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
        try (TestEdge edge = start(); RawHttp c = new RawHttp(edge.port())) {
            assertEquals(List.of(200, 200, 200, 429, 429, 429), pixels(c, edge, "203.0.113.7", "flood", 6));
            assertEquals(List.of(200, 200, 200), pixels(c, edge, "198.51.100.9", "neighbour", 3),
                    "another address on the same connection has its own allowance");
            assertEquals(List.of(200, 200, 200, 200, 200, 200, 200, 200), pixels(c, edge, null, "proxy", 8),
                    "no client named behind a trusted proxy: the proxy's own address is never limited");
            c.send("GET /c/anything HTTP/1.1\r\nHost: t.example\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n");
            assertEquals(429, c.read(false).status(), "clicks share the address's allowance");
            c.send("GET /nothing-here HTTP/1.1\r\nHost: t.example\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n");
            assertEquals(429, c.read(false).status(), "so do unknown paths");
            c.send("POST /v1/events HTTP/1.1\r\nHost: t.example\r\nX-Forwarded-For: 203.0.113.7\r\n"
                    + "Content-Type: application/x-ndjson\r\nContent-Length: 2\r\n\r\n{}");
            assertEquals(401, c.read(false).status(), "the ingest API takes a key and is not limited");

            assertEquals(3, await(() -> recorded(edge, "flood"), 3), "only the three answered opens are journaled");
            assertEquals(3, await(() -> recorded(edge, "neighbour"), 3));
            assertEquals(8, await(() -> recorded(edge, "proxy"), 8));
            String m = metrics(edge);
            assertEquals(5, sample(m, "edge_http_rate_limited_total"), m);
            assertEquals(3, sample(m, "edge_http_requests_total{route=\"pixel\",status=\"429\"}"), m);
            assertEquals(1, sample(m, "edge_http_requests_total{route=\"click\",status=\"429\"}"), m);
            assertEquals(0, sample(m, "edge_http_rate_limit_evictions_total"), m);
            List<String> warnings = logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
            assertEquals(1, warnings.size(), "one line a minute, not one a refusal: " + warnings);
            assertTrue(warnings.get(0).contains("203.0.113.7"), warnings.get(0));
        } finally {
            logger.detachAppender(logs);
        }
    }

    @Test
    void exemptNetworksAndApplesRelayAreNeverRefused() throws Exception {
        try (TestEdge edge = start("EDGE_HTTP_RATE_LIMIT_EXEMPT", "192.0.2.0/24"); RawHttp c = new RawHttp(edge.port())) {
            assertEquals(List.of(200, 200, 200, 200, 200, 200), pixels(c, edge, "192.0.2.44", "exempt", 6));
            assertEquals(List.of(200, 200, 200, 200, 200, 200), pixels(c, edge, APPLE_RELAY, "relay", 6));
            assertEquals(List.of(200, 200, 200, 429), pixels(c, edge, "192.0.3.1", "outside", 4),
                    "the next network is not exempt");
        }
        try (TestEdge edge = start("EDGE_HTTP_RATE_LIMIT_EXEMPT_APPLE_RELAY", "false", "EDGE_CLASSIFY_ENABLED", "false");
             RawHttp c = new RawHttp(edge.port())) {
            assertEquals(List.of(200, 200, 200, 429), pixels(c, edge, APPLE_RELAY, "relay", 4),
                    "with exempt-apple-relay off, a relay address is limited like any other");
        }
        try (TestEdge edge = start("EDGE_CLASSIFY_ENABLED", "false"); RawHttp c = new RawHttp(edge.port())) {
            assertEquals(List.of(200, 200, 200, 200, 200), pixels(c, edge, APPLE_RELAY, "relay", 5),
                    "with classification off the bundled relay list still exempts");
        }
    }

    @Test
    void behindAPROXYHeaderTheLimitCountsTheClientItNames() throws Exception {
        try (TestEdge edge = start("EDGE_HTTP_PROXY_PROTOCOL", "true")) {
            try (RawHttp c = new RawHttp(edge.port())) {
                c.send("PROXY TCP4 203.0.113.50 10.0.0.1 56324 443\r\n");
                assertEquals(List.of(200, 200, 200, 429), pixels(c, edge, null, "proxied", 4));
            }
            try (RawHttp c = new RawHttp(edge.port())) {
                c.send("PROXY TCP4 203.0.113.51 10.0.0.1 56325 443\r\n");
                assertEquals(List.of(200, 200, 200), pixels(c, edge, null, "second-client", 3),
                        "the next connection's client has its own allowance, though both came from one balancer");
            }
            try (RawHttp c = new RawHttp(edge.port())) {
                c.send("PROXY UNKNOWN\r\n");
                assertEquals(List.of(200, 200, 200, 200, 200), pixels(c, edge, null, "unknown", 5),
                        "a header that names no client leaves the trusted balancer's address: never limited");
            }
        }
    }

    @Test
    void offByDefault() throws Exception {
        try (TestEdge edge = TestEdge.start("EDGE_TRUSTED_PROXIES", "127.0.0.0/8"); RawHttp c = new RawHttp(edge.port())) {
            List<Integer> statuses = pixels(c, edge, "203.0.113.7", "many", 300);
            assertTrue(statuses.stream().allMatch(s -> s == 200), statuses.toString());
            assertTrue(Double.isNaN(sample(metrics(edge), "edge_http_rate_limited_total")), "no limit, no series");
        }
    }

    private static long await(java.util.function.LongSupplier value, long expected) {
        return io.trackedge.sink.testing.Await.until("a count of " + expected, java.time.Duration.ofSeconds(10),
                value::getAsLong, v -> v >= expected);
    }
}
