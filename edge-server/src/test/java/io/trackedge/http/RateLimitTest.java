package io.trackedge.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.util.NetUtil;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.sink.testing.Await;
import io.trackedge.testing.LeakWatch;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import io.trackedge.token.TokenSigner;
import io.trackedge.token.TrackingUrls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * {@code edge.http.rate-limit} over real sockets, with client addresses given by a trusted proxy's
 * X-Forwarded-For (and a balancer's PROXY header): past its burst, an address's opens and clicks are
 * answered as always (the GIF, the redirect) and not recorded, while another address, a request that
 * names no client behind the trusted proxy, an exempt network, iCloud Private Relay (the bundled list,
 * or the data folder's once written) and one-click unsubscribes are recorded; an IPv4-mapped address is
 * its IPv4 address; the refusals are counted in /metrics and reported in one log line; no buffer leaks
 * ({@link LeakWatch}).
 *
 * <p>The limit is one event a second with a burst of 3: every request an assertion counts is sent in
 * one pipelined write, so they reach the limit within one read, far inside a second.
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
    private static final TrackingUrls URLS = new TrackingUrls("http://t.example", new TokenSigner(TestEdge.KEYS));

    private static TestEdge start(String... more) throws IOException, InterruptedException {
        List<String> env = new ArrayList<>(List.of("EDGE_TRUSTED_PROXIES", "127.0.0.0/8",
                "EDGE_HTTP_RATE_LIMIT_PER_SECOND", "1", "EDGE_HTTP_RATE_LIMIT_BURST", "3"));
        env.addAll(List.of(more));
        return TestEdge.start(env.toArray(new String[0]));
    }

    private static String pixel(TestEdge edge, String client, String email) {
        return "GET " + edge.pixelPath(email) + " HTTP/1.1\r\nHost: t.example\r\n"
                + (client == null ? "" : "X-Forwarded-For: " + client + "\r\n") + "\r\n";
    }

    /** Sends {@code n} pixel requests ({@code email-0} ...) pipelined in one write; returns their statuses in order. */
    private static List<Integer> pixels(RawHttp c, TestEdge edge, String client, String email, int n) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append(pixel(edge, client, email + "-" + i));
        }
        c.send(b.toString());
        return statuses(c, n);
    }

    private static List<Integer> statuses(RawHttp c, int n) throws IOException {
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            statuses.add(c.read(false).status());
        }
        return statuses;
    }

    /** The journaled events whose email starts with {@code prefix}: every answer has been read, so those recorded are written. */
    private static List<EventRecord> recorded(TestEdge edge, String prefix) {
        return edge.journalEvents().stream().filter(e -> e.fields().email().startsWith(prefix)).toList();
    }

    @Test
    void pastItsBurstAnAddressIsAnsweredAsAlwaysAndNothingMoreIsRecorded() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(AddressRateLimit.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
        try (TestEdge edge = start(); RawHttp c = new RawHttp(edge.port())) {
            String unsubscribe = URLS.unsubscribe(TestEdge.fields("flood-unsubscribe")).substring("http://t.example".length());
            String body = "List-Unsubscribe=One-Click";
            c.send(pixel(edge, "203.0.113.7", "flood-0") + pixel(edge, "203.0.113.7", "flood-1")
                    + pixel(edge, "::ffff:203.0.113.7", "flood-2") // the mapped form is the same address
                    + pixel(edge, "203.0.113.7", "flood-3") + pixel(edge, "::ffff:203.0.113.7", "flood-4")
                    + "GET " + edge.clickPath("flood-click", "https://example.com/a", true)
                    + " HTTP/1.1\r\nHost: t.example\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n"
                    + "HEAD " + edge.pixelPath("flood-head") + " HTTP/1.1\r\nHost: t.example\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n"
                    + "POST " + unsubscribe + " HTTP/1.1\r\nHost: t.example\r\nX-Forwarded-For: 203.0.113.7\r\n"
                    + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            assertEquals(List.of(200, 200, 200, 200, 200), statuses(c, 5), "every pixel gets its GIF");
            RawHttp.Response click = c.read(false);
            assertEquals(302, click.status(), "the click is still redirected");
            assertEquals("https://example.com/a", click.header("location"));
            RawHttp.Response head = c.read(true);
            assertEquals(200, head.status());
            assertEquals(200, c.read(false).status(), "the one-click unsubscribe is answered");
            assertEquals(List.of("flood-0", "flood-1", "flood-2"), recorded(edge, "flood-").stream()
                    .filter(e -> e.type() == EventType.OPEN).map(e -> e.fields().email()).toList(), "the burst of 3, no more");
            assertEquals(List.of(), recorded(edge, "flood-click"), "the click past the burst is not recorded");
            assertEquals(1, recorded(edge, "flood-unsubscribe").size(), "an unsubscribe is never refused");
            assertArrayEquals(NetUtil.createByteArrayFromIpAddressString("203.0.113.7"), recorded(edge, "flood-2").get(0).ip(),
                    "a mapped address is recorded as its IPv4 address");

            assertEquals(List.of(200, 200, 200), pixels(c, edge, "198.51.100.9", "neighbour", 3));
            assertEquals(3, recorded(edge, "neighbour-").size(), "another address has its own allowance");
            assertEquals(List.of(200, 200, 200, 200, 200, 200, 200, 200), pixels(c, edge, null, "proxy", 8));
            assertEquals(8, recorded(edge, "proxy-").size(),
                    "no client named behind a trusted proxy: the proxy's own address is never limited");
            assertEquals(List.of(200, 200, 200, 200), pixels(c, edge, "198.51.100.1, ::ffff:127.0.0.5", "mapped-proxy", 4));
            assertEquals(3, recorded(edge, "mapped-proxy-").size(), "a trusted proxy written mapped is still skipped for its client");

            String m = edge.metrics();
            assertEquals(5, TestEdge.sample(m, "edge_events_rate_limited_total"), m); // 2 pixels, the click, the HEAD, mapped-proxy's 4th
            assertEquals(0, TestEdge.sample(m, "edge_events_rate_limit_evictions_total"), m);
            List<String> warnings = logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
            assertEquals(1, warnings.size(), "one line a minute, not one a refusal: " + warnings);
            assertTrue(warnings.get(0).contains("203.0.113.7"), warnings.get(0));
        } finally {
            logger.detachAppender(logs);
        }
    }

    @Test
    void exemptNetworksAndApplesRelayAreAlwaysRecorded() throws Exception {
        try (TestEdge edge = start("EDGE_HTTP_RATE_LIMIT_EXEMPT", "192.0.2.0/24"); RawHttp c = new RawHttp(edge.port())) {
            pixels(c, edge, "192.0.2.44", "exa", 5);
            pixels(c, edge, "::ffff:192.0.2.45", "exb", 5);
            pixels(c, edge, APPLE_RELAY, "rla", 5);
            pixels(c, edge, "192.0.3.1", "out", 5);
            assertEquals(5, recorded(edge, "exa-").size());
            assertEquals(5, recorded(edge, "exb-").size(), "an exempt network matches its mapped form");
            assertEquals(5, recorded(edge, "rla-").size());
            assertEquals(3, recorded(edge, "out-").size(), "the next network is not exempt");
        }
        try (TestEdge edge = start("EDGE_HTTP_RATE_LIMIT_EXEMPT_APPLE_RELAY", "false"); RawHttp c = new RawHttp(edge.port())) {
            pixels(c, edge, APPLE_RELAY, "rla", 5);
            assertEquals(3, recorded(edge, "rla-").size(), "with exempt-apple-relay off, a relay address is limited like any other");
        }
        try (TestEdge edge = start("EDGE_CLASSIFY_ENABLED", "false"); RawHttp c = new RawHttp(edge.port())) {
            pixels(c, edge, APPLE_RELAY, "rla", 5);
            assertEquals(5, recorded(edge, "rla-").size(), "with classification off the bundled relay list still exempts");
            pixels(c, edge, "198.51.100.77", "bef", 5);
            assertEquals(3, recorded(edge, "bef-").size());
            // A relay list written into the data folder replaces the bundled one, and counts without a restart.
            Files.createDirectories(edge.dataDir().resolve("lists"));
            Files.writeString(edge.dataDir().resolve("lists").resolve("apple-relay-egress.txt"), "198.51.100.0/24\n");
            int[] round = {0};
            // Until then each try's two opens meet an allowance that grows one a second: both recorded means exempt.
            Await.until("the data folder's relay list to exempt 198.51.100.77", Duration.ofSeconds(20), () -> {
                String email = "aft" + round[0]++;
                pixels(c, edge, "198.51.100.77", email, 2);
                return recorded(edge, email + "-").size();
            }, n -> n == 2);
            pixels(c, edge, "104.28.28.2", "rlb", 5); // a bundled relay address not seen before
            assertEquals(3, recorded(edge, "rlb-").size(), "the bundled ranges were replaced");
        }
    }

    @Test
    void withClassificationOffABadRelayListStopsTheStartAndABadReloadIsLoggedWithTheLastGoodListKept() throws Exception {
        Path bad = Files.createTempDirectory("edge-rate-limit-");
        Files.createDirectories(bad.resolve("lists"));
        Files.writeString(bad.resolve("lists").resolve("apple-relay-egress.txt"), "not-a-network\n");
        Exception e = assertThrows(Exception.class, () -> start("EDGE_CLASSIFY_ENABLED", "false", "EDGE_DATA_DIR", bad.toString()));
        assertTrue(String.valueOf(e.getMessage()).contains("not-a-network"), String.valueOf(e.getMessage()));
        assertFalse(Files.exists(bad.resolve("journal")), "stopped before the journal was opened");

        Logger logger = (Logger) LoggerFactory.getLogger("io.trackedge.RateLimitExemptions");
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
        try (TestEdge edge = start("EDGE_CLASSIFY_ENABLED", "false"); RawHttp c = new RawHttp(edge.port())) {
            Files.createDirectories(edge.dataDir().resolve("lists"));
            Files.writeString(edge.dataDir().resolve("lists").resolve("apple-relay-egress.txt"), "not-a-network\n");
            Await.until("a log line for the failed reload", Duration.ofSeconds(20), () -> logs.list.stream()
                    .map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains("did not reload")).toList(), l -> !l.isEmpty());
            pixels(c, edge, APPLE_RELAY, "kept", 5);
            assertEquals(5, recorded(edge, "kept-").size(), "the bundled ranges stay in force");
        } finally {
            logger.detachAppender(logs);
        }
    }

    @Test
    void behindAPROXYHeaderTheLimitCountsTheClientItNames() throws Exception {
        try (TestEdge edge = start("EDGE_HTTP_PROXY_PROTOCOL", "true")) {
            try (RawHttp c = new RawHttp(edge.port())) {
                c.send("PROXY TCP4 203.0.113.50 10.0.0.1 56324 443\r\n");
                pixels(c, edge, null, "proxied", 5);
                assertEquals(3, recorded(edge, "proxied-").size());
            }
            try (RawHttp c = new RawHttp(edge.port())) {
                c.send("PROXY TCP4 203.0.113.51 10.0.0.1 56325 443\r\n");
                pixels(c, edge, null, "second-client", 3);
                assertEquals(3, recorded(edge, "second-client-").size(),
                        "the next connection's client has its own allowance, though both came through one balancer");
            }
            try (RawHttp c = new RawHttp(edge.port())) {
                c.send("PROXY UNKNOWN\r\n");
                pixels(c, edge, null, "unknown", 5);
                assertEquals(5, recorded(edge, "unknown-").size(),
                        "a header that names no client leaves the trusted balancer's address: never limited");
            }
        }
    }

    @Test
    void offByDefault() throws Exception {
        try (TestEdge edge = TestEdge.start("EDGE_TRUSTED_PROXIES", "127.0.0.0/8"); RawHttp c = new RawHttp(edge.port())) {
            pixels(c, edge, "203.0.113.7", "many", 300);
            assertEquals(300, recorded(edge, "many-").size());
            assertEquals(0, TestEdge.sample(edge.metrics(), "edge_events_rate_limited_total"), "the series the shipped alert reads, at 0");
            assertEquals(0, alive("rate-limit-lists"), "no limit, no refresher");
        }
    }

    private static long alive(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name) && t.isAlive()).count();
    }

    @Test
    void theRelayRangesRefresherStopsWithTheEdge() throws Exception {
        long before = alive("rate-limit-lists");
        try (TestEdge edge = start()) {
            assertEquals(before + 1, alive("rate-limit-lists"), "the limit's relay ranges are refreshed off the event loops");
        }
        Await.until("the refresher to stop", Duration.ofSeconds(10), () -> alive("rate-limit-lists"), n -> n == before);
    }
}
