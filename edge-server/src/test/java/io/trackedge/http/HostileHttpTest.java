package io.trackedge.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.journal.EventRecord;
import io.trackedge.testing.HostileClient;
import io.trackedge.testing.HostileReport;
import io.trackedge.testing.LeakWatch;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hostile HTTP over raw sockets against a started edge: garbage, request smuggling, oversized
 * request lines and headers, bad encodings, odd request targets, versions and methods, and
 * pipelines that mix all of them. For every case the edge must answer with well-formed responses
 * ({@link HostileClient}) or close, keep serving other connections (a normal pixel is fetched
 * after each case), record no event a smuggled request carried, throw nothing out of a handler
 * and leak no buffer ({@link LeakWatch}, checked at the end). Each case's outcome is counted in
 * {@code target/results/hostile/} for the results table ({@link HostileReport}).
 */
class HostileHttpTest {

    private static final String SUITE = "HostileHttpTest";
    private static final String GARBAGE = "garbage";
    private static final String SMUGGLING = "smuggling";
    private static final String OVERSIZED = "oversized";
    private static final String ENCODING = "encoding";
    private static final String TARGETS = "targets-methods-versions";
    private static final String PIPELINING = "pipelining";

    private static TestEdge edge;
    private static LeakWatch watch;
    /** Emails of pixels smuggled inside hostile requests: none may ever be journaled. */
    private static final List<String> smuggled = new ArrayList<>();
    private static int pixels;

    @BeforeAll
    static void start() throws Exception {
        watch = LeakWatch.start();
        // A short request timeout, so that a case the edge waits on ends in a 408 within seconds.
        edge = TestEdge.start("EDGE_REQUEST_TIMEOUT", "2s");
        HostileReport.begin(GARBAGE, SUITE, "random and non-HTTP bytes (TLS, SSH, HTTP/2 preface, controls)");
        HostileReport.begin(SMUGGLING, SUITE, "Content-Length with Transfer-Encoding, duplicate/conflicting lengths, "
                + "bad codings, obs-fold, bad line endings, bad chunks");
        HostileReport.begin(OVERSIZED, SUITE, "request lines and header blocks past the limits, huge bodies");
        HostileReport.begin(ENCODING, SUITE, "invalid percent-encoding, NUL, controls, non-ASCII bytes in paths and headers");
        HostileReport.begin(TARGETS, SUITE, "absolute/authority/asterisk targets, HTTP/0.9, /1.2, /2.0, CONNECT, OPTIONS, TRACE, odd methods");
        HostileReport.begin(PIPELINING, SUITE, "pipelined pixels, clicks, ingest, errors and garbage in one write; fragmented writes");
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (edge != null) {
                List<EventRecord> events = edge.journalEvents();
                for (String email : smuggled) {
                    assertTrue(events.stream().noneMatch(e -> e.fields().email().equals(email)), "smuggled pixel journaled: " + email);
                }
                edge.close();
            }
            HostileReport.write(SUITE);
            watch.assertClean();
        } finally {
            watch.close();
        }
    }

    // ---------------------------------------------------------------- helpers

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String pixel(String email) {
        return "GET " + edge.pixelPath(email) + " HTTP/1.1\r\nHost: t\r\n\r\n";
    }

    /** A valid pixel request that must never be recorded: it hides in a hostile request's body or after it. */
    private static String smuggledPixel() {
        String email = "smuggled-" + smuggled.size();
        smuggled.add(email);
        return pixel(email);
    }

    /**
     * Runs one case: sends {@code request} (and the sentinel when asked), checks that whatever came
     * back is well-formed, counts the outcome, checks it against {@code expected}, and checks that a
     * normal pixel still works on a new connection.
     */
    private static HostileClient.Result run(String hostileClass, String name, byte[] request, boolean sentinel,
                                            Predicate<HostileClient.Result> expected, String expectation) throws Exception {
        HostileClient.Result r = HostileClient.exchange(edge.port(), request, sentinel, 8000);
        String outcome = r.outcome(sentinel);
        HostileReport.count(hostileClass, outcome);
        assertNull(r.malformed(), name + ": " + r.malformed());
        assertTrue(expected.test(r), name + ": expected " + expectation + ", got " + outcome);
        assertPixelStillWorks();
        return r;
    }

    private static HostileClient.Result run(String hostileClass, String name, String request, boolean sentinel,
                                            String expectedOutcome) throws Exception {
        return run(hostileClass, name, ascii(request), sentinel, r -> r.outcome(sentinel).equals(expectedOutcome), expectedOutcome);
    }

    private static HostileClient.Result run(String hostileClass, String name, String request, boolean sentinel,
                                            Set<String> expectedOutcomes) throws Exception {
        return run(hostileClass, name, ascii(request), sentinel, r -> expectedOutcomes.contains(r.outcome(sentinel)),
                expectedOutcomes.toString());
    }

    private static void assertPixelStillWorks() throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            RawHttp.Response r = c.get(edge.pixelPath("after-hostile-" + pixels++));
            assertEquals(200, r.status());
            assertArrayEquals(Responses.GIF, r.body());
        }
    }

    /** An error, then the connection closed: nothing after the hostile bytes was read as a request. */
    private static boolean errorThenClosed(HostileClient.Result r) {
        return !r.statuses().isEmpty() && r.statuses().get(0) >= 400 && !r.sentinelAnswered() && r.closed() && !r.reset()
                && r.statuses().stream().allMatch(s -> s >= 400);
    }

    // ---------------------------------------------------------------- garbage

    @Test
    void garbageGetsAnErrorAndACloseNeverAnAnswerToWhatFollows() throws Exception {
        Random random = new Random(20261125L);
        for (int i = 0; i < 40; i++) {
            byte[] junk = new byte[1 + random.nextInt(i < 30 ? 200 : 3000)];
            random.nextBytes(junk);
            junk[0] = (byte) ('!' + random.nextInt(90)); // not a byte the decoder skips before a request
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.writeBytes(junk);
            b.writeBytes(ascii("\r\n\r\n" + smuggledPixel()));
            run(GARBAGE, "random " + i, b.toByteArray(), true, HostileHttpTest::errorThenClosed, "an error, then closed");
        }
        List<String> named = List.of(
                "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u01fc\u0003\u0003" + "x".repeat(40) + "\r\n\r\n", // TLS ClientHello
                "SSH-2.0-OpenSSH_9.6\r\n\r\n",
                "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
                "\u0000\u0000\u0000\u0000\r\n\r\n",
                "GET\r\n\r\n",
                "GET /o/x.gif\r\nHTTP/1.1\r\n\r\n",
                "\u007fGET /o/x.gif HTTP/1.1\r\n\r\n",
                "GET /o/x.gif HTTP/1.1 extra\r\n\r\n",
                "G\u0000T /o/x.gif HTTP/1.1\r\n\r\n",
                "{\"type\":\"sent\"}\r\n\r\n",
                "\r\n\r\nHELLO\r\n\r\n");
        for (String g : named) {
            run(GARBAGE, HostileClient.printable(g), ascii(g + smuggledPixel()), true, HostileHttpTest::errorThenClosed,
                    "an error, then closed");
        }
        // Empty lines before a request are skipped (RFC 9112 section 2.2): not garbage.
        run(GARBAGE, "empty lines first", "\r\n\r\n\n\r\n" + pixel("crlf-first"), true, "200, kept open");
        // A client that sends a little and hangs up gets nothing and no error is logged.
        for (String part : List.of("G", "GET /o/", "GET /o/x.gif HTTP/1.1\r\nHost:")) {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", edge.port())) {
                s.getOutputStream().write(ascii(part));
            }
            HostileReport.count(GARBAGE, "no response, closed");
            assertPixelStillWorks();
        }
    }

    // ---------------------------------------------------------------- regressions

    /**
     * Bug: a request answered from its head (405 for a POST to a pixel) whose chunked body then
     * broke (a chunk size that is not hex) left the connection open after a keep-alive answer,
     * with the decoder silently dropping everything that followed: the client's next request was
     * never answered. Now the connection is closed once the earlier answers are out.
     */
    @Test
    void regressionABrokenChunkAfterAnEarlyAnswerLeftTheConnectionHanging() throws Exception {
        for (String size : List.of("zz", "-5", "FFFFFFFFFFFFFFFFFFFF", "5 5")) {
            HostileClient.Result r = HostileClient.exchange(edge.port(), "POST /o/x.gif HTTP/1.1\r\nHost: t\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n" + size + "\r\nhello\r\n0\r\n\r\n" + pixel("broken-chunk"), true);
            assertNull(r.malformed());
            assertEquals(List.of(405), r.statuses(), size);
            assertTrue(r.closed(), "closed after a broken chunk size " + size + ": " + r.outcome(true));
        }
        // The same behind a held answer: a pixel's 200 waits for the journal, then the connection closes.
        HostileClient.Result r = HostileClient.exchange(edge.port(), pixel("broken-chunk-held")
                + "POST /o/x.gif HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", true);
        assertEquals(List.of(200, 405), r.statuses());
        assertTrue(r.closed());
        assertTrue(edge.journalEvents().stream().noneMatch(e -> e.fields().email().equals("broken-chunk")));
        assertPixelStillWorks();
    }

    /**
     * Bug: an error answer that closes the connection (414, 431, 400, 505) was followed by a plain
     * close while the rest of the request was still arriving; the kernel then reset the connection,
     * which can destroy the answer before the client reads it. Now the edge closes lingering: it
     * shuts its side, drops what still comes for a while, and the client sees the answer and a
     * clean end.
     */
    @Test
    void regressionAnErrorAnswerToALongRequestEndedInAReset() throws Exception {
        for (int i = 0; i < 3; i++) {
            HostileClient.Result r = HostileClient.exchange(edge.port(), ascii("GET /o/" + "a".repeat(1 << 20) + " HTTP/1.1\r\n\r\n"),
                    false, 8000);
            assertEquals("414, closed", r.outcome(false));
            r = HostileClient.exchange(edge.port(), ascii("GET /o/x.gif HTTP/1.1\r\n" + "X: y\r\n".repeat(200_000) + "\r\n"),
                    false, 8000);
            assertEquals("431, closed", r.outcome(false));
            // answered from its head, and closing (HTTP/1.0) with the body still coming
            r = HostileClient.exchange(edge.port(), ascii("POST /o/x.gif HTTP/1.0\r\nContent-Length: " + (1 << 20) + "\r\n\r\n"
                    + "b".repeat(1 << 20)), false, 8000);
            assertEquals("405, closed", r.outcome(false));
        }
        assertPixelStillWorks();
    }

    // ---------------------------------------------------------------- smuggling

    @Test
    void smugglingAttemptsAreRefusedAndTheConnectionClosed() throws Exception {
        String head = "POST /o/x.gif HTTP/1.1\r\nHost: t\r\n";
        List<String[]> refused = new ArrayList<>();
        refused.add(new String[] {"CL then TE", head + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"});
        refused.add(new String[] {"TE then CL", head + "Transfer-Encoding: chunked\r\nContent-Length: 60\r\n\r\n0\r\n\r\n"});
        refused.add(new String[] {"TE with CL 0", "GET /o/x.gif HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"});
        refused.add(new String[] {"two different CL", head + "Content-Length: 0\r\nContent-Length: 5\r\n\r\nhello"});
        refused.add(new String[] {"CL list", head + "Content-Length: 0, 5\r\n\r\nhello"});
        refused.add(new String[] {"CL twice, same", head + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello"});
        refused.add(new String[] {"CL +5", head + "Content-Length: +5\r\n\r\nhello"});
        refused.add(new String[] {"CL -1", head + "Content-Length: -1\r\n\r\n"});
        refused.add(new String[] {"CL hex", head + "Content-Length: 0x5\r\n\r\nhello"});
        refused.add(new String[] {"CL overflow", head + "Content-Length: 99999999999999999999\r\n\r\n"});
        refused.add(new String[] {"CL 1_0", head + "Content-Length: 1_0\r\n\r\n0123456789"});
        refused.add(new String[] {"CL empty", head + "Content-Length: \r\n\r\n"});
        refused.add(new String[] {"TE chunked, identity", head + "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"});
        refused.add(new String[] {"TE identity", head + "Transfer-Encoding: identity\r\n\r\n0\r\n\r\n"});
        refused.add(new String[] {"TE xchunked", head + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"});
        refused.add(new String[] {"TE chunked twice", head + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"});
        refused.add(new String[] {"two TE headers", head + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"});
        refused.add(new String[] {"space before colon", head + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"});
        refused.add(new String[] {"TE in HTTP/1.0", "POST /o/x.gif HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"});
        refused.add(new String[] {"folded TE and CL", head + "Content-Length: 4\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"});
        refused.add(new String[] {"fold as first header line", "GET /o/x.gif HTTP/1.1\r\n Host: t\r\n\r\n"});
        refused.add(new String[] {"bare CR in the headers", "GET /o/x.gif HTTP/1.1\r\nHost: t\rX: y\r\n\r\n"});
        refused.add(new String[] {"NUL in a header value", "GET /o/x.gif HTTP/1.1\r\nHost: t\r\nX: a\u0000b\r\n\r\n"});
        refused.add(new String[] {"space in a header name", "GET /o/x.gif HTTP/1.1\r\nHo st: t\r\n\r\n"});
        refused.add(new String[] {"folded TE", head + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"});
        // A body answered from its head (405) whose chunks break: the answer stands, then the connection closes.
        refused.add(new String[] {"chunk size overflow", head + "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\n"});
        refused.add(new String[] {"chunk size not hex", head + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"});
        refused.add(new String[] {"chunk size negative", head + "Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n"});
        refused.add(new String[] {"chunk longer than its size", head + "Transfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n"});
        for (String[] c : refused) {
            run(SMUGGLING, c[0], ascii(c[1] + smuggledPixel()), true, HostileHttpTest::errorThenClosed, "an error, then closed");
        }
        // Unambiguous framing: answered, the connection kept, the body never read as a request.
        run(SMUGGLING, "chunked body holding a request", head + "Transfer-Encoding: chunked\r\n\r\n"
                + chunk(smuggledPixel()) + "0\r\n\r\n", true, "405, kept open");
        run(SMUGGLING, "chunk extension and trailer", head + "Transfer-Encoding: chunked\r\n\r\n5;ext=\"x\"\r\nhello\r\n"
                + "0\r\nContent-Length: 500\r\nTransfer-Encoding: chunked\r\n\r\n", true, "405, kept open");
        run(SMUGGLING, "CL body holding a request", head + "Content-Length: " + smuggledPixelLength() + "\r\n\r\n"
                + smuggledPixel(), true, "405, kept open");
        run(SMUGGLING, "GET with a body", "GET " + edge.pixelPath("get-body") + " HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello",
                true, "200, kept open");
        run(SMUGGLING, "TE with tab", head + "Transfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n", true, "405, kept open");
        // obs-fold elsewhere is replaced by a space (RFC 9112 section 5.2): the folded header is one value.
        run(SMUGGLING, "TE hidden in a folded header", head + "X-Pad: a\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                true, HostileHttpTest::isNotKeptAfterError, "405 then an error for the leftover, closed");
        run(SMUGGLING, "folded user agent", "GET " + edge.pixelPath("folded-ua") + " HTTP/1.1\r\nHost: t\r\nUser-Agent: a\r\n\tb\r\n\r\n",
                true, "200, kept open");
        assertEquals("a b", edge.journalEvents().stream().filter(e -> e.fields().email().equals("folded-ua"))
                .findFirst().orElseThrow().userAgent());
    }

    private static HostileClient.Result run(String hostileClass, String name, String request, boolean sentinel,
                                            Predicate<HostileClient.Result> expected, String expectation) throws Exception {
        return run(hostileClass, name, ascii(request), sentinel, expected, expectation);
    }

    private static boolean isNotKeptAfterError(HostileClient.Result r) {
        return r.statuses().size() >= 2 && r.statuses().get(0) == 405 && r.statuses().get(1) == 400 && r.closed()
                && !r.sentinelAnswered();
    }

    private static int smuggledPixelLength() {
        return pixel("smuggled-" + smuggled.size()).length();
    }

    private static String chunk(String s) {
        return Integer.toHexString(s.length()) + "\r\n" + s + "\r\n";
    }

    // ---------------------------------------------------------------- oversized

    @Test
    void oversizedRequestLinesAndHeadersAreRefusedAndClosed() throws Exception {
        Predicate<HostileClient.Result> e414 = r -> r.outcome(true).equals("414, closed");
        Predicate<HostileClient.Result> e431 = r -> r.outcome(true).equals("431, closed");
        run(OVERSIZED, "uri 8193", "GET /o/" + "a".repeat(8193) + ".gif HTTP/1.1\r\nHost: t\r\n\r\n" + smuggledPixel(), true, e414, "414");
        run(OVERSIZED, "uri 100 KiB", "GET /o/" + "a".repeat(100 << 10) + " HTTP/1.1\r\n\r\n", true, e414, "414");
        run(OVERSIZED, "uri 1 MiB", "GET /c/" + "%41".repeat(350_000) + " HTTP/1.1\r\n\r\n", true, e414, "414");
        run(OVERSIZED, "method 9000", "A".repeat(9000) + " /o/x.gif HTTP/1.1\r\n\r\n", true, e414, "414");
        run(OVERSIZED, "version 9000", "GET /o/x.gif HTTP/" + "1".repeat(9000) + "\r\n\r\n", true, e414, "414");
        run(OVERSIZED, "no line end", "GET /o/" + "b".repeat(20_000), false, e414, "414");
        run(OVERSIZED, "one huge header", "GET /o/x.gif HTTP/1.1\r\nX-Big: " + "b".repeat(9000) + "\r\n\r\n" + smuggledPixel(),
                true, e431, "431");
        run(OVERSIZED, "huge header name", "GET /o/x.gif HTTP/1.1\r\n" + "X".repeat(9000) + ": v\r\n\r\n", true, e431, "431");
        run(OVERSIZED, "3000 tiny headers", "GET /o/x.gif HTTP/1.1\r\n" + "a: b\r\n".repeat(3000) + "\r\n", true, e431, "431");
        run(OVERSIZED, "200 cookies", "GET /o/x.gif HTTP/1.1\r\n" + ("Cookie: " + "c".repeat(60) + "\r\n").repeat(200) + "\r\n",
                true, e431, "431");
        run(OVERSIZED, "header block without end", "GET /o/x.gif HTTP/1.1\r\n" + "a: b\r\n".repeat(5000), false, e431, "431");
        // Under the limits: served.
        String path = edge.pixelPath("long-query");
        run(OVERSIZED, "uri just under the limit", "GET " + path + "?" + "q".repeat(8000 - path.length()) + " HTTP/1.1\r\nHost: t\r\n\r\n",
                true, "200, kept open");
        // Bodies: a declared length past the ingest limit is refused from the head (no key here: 401 first), a
        // huge chunked body to a pixel is read and dropped without buffering it.
        run(OVERSIZED, "ingest declares 10 GiB", "POST /v1/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                + "Content-Length: 10737418240\r\n\r\n[{}]", false, r -> r.statuses().equals(List.of(401)) && r.closed(), "401, closed");
        run(OVERSIZED, "4 MiB chunked body to a pixel", ascii("POST /o/x.gif HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                + chunk("z".repeat(1 << 20)).repeat(4) + "0\r\n\r\n"), true, r -> r.outcome(true).equals("405, kept open"), "405, kept open");
    }

    // ---------------------------------------------------------------- encodings

    @Test
    void badEncodingsNulAndNonAsciiNeverBreakTheEdge() throws Exception {
        String click = edge.clickPath("enc-click", "https://example.com/x", false);
        String token = click.substring(0, click.indexOf('?'));
        for (String u : List.of("%zz", "%", "%4", "%%41", "%u0041", "%C0%AF", "%00", "%0D%0ALocation:%20https://evil.example/",
                "https%3A%2F%2Fexample.com%2Fx%00", "https://example.com/x%", "\u00e9", "https://example.com/\u00e9")) {
            run(ENCODING, "click u=" + u, ascii("GET " + token + "?u=" + u + " HTTP/1.1\r\nHost: t\r\n\r\n"), true,
                    r -> Set.of("400, kept open", "400, closed").contains(r.outcome(true))
                            && r.responses().get(0).header("location") == null, "400");
        }
        String px = edge.pixelPath("enc-px");
        String tok = px.substring(3, px.length() - 4);
        List<String> paths = List.of("/o/%00.gif", "/o/\u0000.gif", "/o/" + tok + "\u0000.gif", "/o/\u00e9\u00e9.gif",
                "/o/\u00ff\u00fe.gif", "/o/" + tok + "%2Egif", "/o/" + tok + ".gif#x", "/o/\u007f.gif", "/o/%2e%2e/c/x",
                "/o/../c/" + tok, "/o/" + tok.substring(0, 10) + "\u00c3\u00a9" + tok.substring(12) + ".gif");
        for (String p : paths) {
            run(ENCODING, "pixel " + HostileClient.printable(p), ascii("GET " + p + " HTTP/1.1\r\nHost: t\r\n\r\n"), true,
                    r -> Set.of("200, kept open", "400, closed").contains(r.outcome(true)), "a GIF or 400");
        }
        for (String p : List.of("/O/" + tok + ".gif", "//o/" + tok + ".gif", "/o%2F" + tok + ".gif", "/%6F/" + tok + ".gif")) {
            run(ENCODING, "not the pixel path " + p, "GET " + p + " HTTP/1.1\r\nHost: t\r\n\r\n", true, "404, kept open");
        }
        run(ENCODING, "latin-1 user agent", ascii("GET " + edge.pixelPath("enc-ua") + " HTTP/1.1\r\nHost: t\r\nUser-Agent: caf\u00e9\r\n\r\n"),
                true, r -> r.outcome(true).equals("200, kept open"), "200");
        run(ENCODING, "non-ASCII header name", ascii("GET /o/x.gif HTTP/1.1\r\nHost: t\r\nX-\u00e9: v\r\n\r\n" + smuggledPixel()), true,
                r -> Set.of("200, kept open", "400, closed").contains(r.outcome(true)), "a GIF or 400");
        run(ENCODING, "control in a header value", ascii("GET /o/x.gif HTTP/1.1\r\nHost: t\r\nX: a\u0001b\r\n\r\n"), true,
                r -> Set.of("200, kept open", "400, closed").contains(r.outcome(true)), "a GIF or 400");
        // Nothing in those was a valid pixel except the ones named as such.
        assertTrue(edge.journalEvents().stream().noneMatch(e -> e.fields().email().equals("enc-px")));
        assertTrue(edge.journalEvents().stream().noneMatch(e -> e.fields().email().equals("enc-click")));
    }

    // ---------------------------------------------------------------- targets, versions, methods

    @Test
    void oddTargetsVersionsAndMethodsGetWellFormedErrors() throws Exception {
        String px = edge.pixelPath("target-px");
        // RFC 9112 3.2.2: a server accepts the absolute form, and answers by its path.
        run(TARGETS, "absolute-form", "GET http://t.example" + edge.pixelPath("absolute-px") + " HTTP/1.1\r\nHost: t.example\r\n\r\n",
                true, "200, kept open");
        run(TARGETS, "absolute-form https", "GET HTTPS://t.example:443" + edge.pixelPath("absolute-px2") + " HTTP/1.1\r\nHost: t.example\r\n\r\n", true,
                "200, kept open");
        run(TARGETS, "absolute-form, no path", "GET http://t.example HTTP/1.1\r\nHost: t.example\r\n\r\n", true, "404, kept open");
        run(TARGETS, "authority-form CONNECT", "CONNECT t.example:443 HTTP/1.1\r\nHost: t.example:443\r\n\r\n", true, "404, kept open");
        run(TARGETS, "CONNECT to a pixel", "CONNECT " + px + " HTTP/1.1\r\nHost: t\r\n\r\n", true, "405, kept open");
        run(TARGETS, "asterisk-form OPTIONS", "OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n", true, "404, kept open");
        run(TARGETS, "OPTIONS pixel", "OPTIONS " + px + " HTTP/1.1\r\nHost: t\r\n\r\n", true, "405, kept open");
        HostileClient.Result trace = run(TARGETS, "TRACE", "TRACE " + px + " HTTP/1.1\r\nHost: t\r\nX-Secret: s3cret-value\r\n\r\n",
                true, "405, kept open");
        assertFalse(trace.responses().get(0).bodyText().contains("s3cret"), "TRACE must not echo the request");
        run(TARGETS, "TRACE /", "TRACE / HTTP/1.1\r\nHost: t\r\nCookie: s3cret\r\n\r\n", true, "404, kept open");
        run(TARGETS, "lower-case method", "get " + px + " HTTP/1.1\r\nHost: t\r\n\r\n", true, "405, kept open");
        run(TARGETS, "unknown method", "BREW " + px + " HTTP/1.1\r\nHost: t\r\n\r\n", true, "405, kept open");
        run(TARGETS, "PUT ingest", "PUT /v1/events HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}", true, "405, kept open");
        // Netty skips white space before a request line, as before an empty line.
        run(TARGETS, "leading space", " GET " + edge.pixelPath("leading-space") + " HTTP/1.1\r\nHost: t\r\n\r\n", true, "200, kept open");
        run(TARGETS, "no Host header", "GET " + edge.pixelPath("no-host") + " HTTP/1.1\r\n\r\n", true, "200, kept open");
        run(TARGETS, "two Host headers", "GET " + edge.pixelPath("two-hosts") + " HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", true,
                Set.of("200, kept open", "400, closed"));
        run(TARGETS, "HTTP/1.0 keep-alive", "GET " + edge.pixelPath("h10") + " HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true,
                "200, kept open");
        // Versions: HTTP/0.9 (no version) and anything not 1.0 or 1.1 get an error and a close, never a bare GIF.
        List<String> versions = List.of("", " HTTP/0.9", " HTTP/1.2", " HTTP/2.0", " HTTP/3", " http/1.1", " HTTP/1.1.1",
                " HTTP/01.1", " HTTP/1", " HTTPS/1.1", " HTTP/1.1 ");
        for (int i = 0; i < versions.size(); i++) {
            String v = versions.get(i);
            HostileClient.Result r = run(TARGETS, "version [" + v + "]", ascii("GET " + edge.pixelPath("ver-" + i) + v + "\r\n\r\n"
                    + pixel("ver-next-" + i)), true, HostileHttpTest::errorThenClosedOrServedAs11, "an error and closed");
            if (errorThenClosed(r)) {
                String email = "ver-" + i;
                assertTrue(edge.journalEvents().stream().noneMatch(e -> e.fields().email().equals(email)
                        || e.fields().email().equals("ver-next-" + email.substring(4))), v);
            }
        }
        assertTrue(edge.journalEvents().stream().noneMatch(e -> e.fields().email().equals("target-px")));
        for (String absolute : List.of("absolute-px", "absolute-px2")) {
            assertEquals(1, edge.journalEvents().stream().filter(e -> e.fields().email().equals(absolute)).count(), absolute);
        }
    }

    /** Case-insensitive or padded versions that Netty reads as HTTP/1.1 may be served; anything else is an error. */
    private static boolean errorThenClosedOrServedAs11(HostileClient.Result r) {
        return errorThenClosed(r) || r.outcome(true).equals("200 200, kept open");
    }

    // ---------------------------------------------------------------- pipelining

    @Test
    void pipelinesAreAnsweredInOrderAndStopAtTheFirstError() throws Exception {
        StringBuilder fifty = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            fifty.append(pixel("pipe50-" + i));
        }
        HostileClient.Result r = run(PIPELINING, "50 pixels", fifty.toString(), true, "200 x50, kept open");
        List<EventRecord> events = edge.journalEvents();
        for (int i = 0; i < 50; i++) {
            String email = "pipe50-" + i;
            assertEquals(1, events.stream().filter(e -> e.fields().email().equals(email)).count(), email);
        }
        assertEquals(51, r.responses().size());

        String click = edge.clickPath("pipe-click", "https://example.com/landing", true);
        String mixed = pixel("pipe-mixed-1")
                + "GET " + click + " HTTP/1.1\r\nHost: t\r\n\r\n"
                + "GET /nothing HTTP/1.1\r\nHost: t\r\n\r\n"
                + "POST /v1/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 4\r\n\r\n[{}]"
                + "POST /o/x.gif HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
                + "GET /c/not-a-token HTTP/1.1\r\nHost: t\r\n\r\n"
                + "DELETE /v1/events HTTP/1.1\r\nHost: t\r\n\r\n"
                + pixel("pipe-mixed-2")
                + "\u0001\u0002garbage\r\n\r\n"
                + smuggledPixel();
        r = run(PIPELINING, "mixed then garbage", mixed, true, "200 302 404 401 405 400 405 200 400, closed");
        assertEquals("https://example.com/landing", r.responses().get(1).header("location"));
        assertTrue(r.responses().get(3).bodyText().contains("bearer"), r.responses().get(3).bodyText());

        run(PIPELINING, "after a 414", "GET /o/" + "a".repeat(9000) + " HTTP/1.1\r\n\r\n" + smuggledPixel(), true,
                r2 -> r2.outcome(true).equals("414, closed"), "414");
        run(PIPELINING, "after a 505", "GET /o/x.gif HTTP/2.0\r\n\r\n" + smuggledPixel(), true, "505, closed");
        run(PIPELINING, "chunked ingest without a key", "POST /v1/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n4\r\n[{}]\r\n0\r\n\r\n" + smuggledPixel(), true, "401, closed");

        // 500 pixels in one write: the acknowledgement gate keeps them in order.
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            many.append(i % 5 == 4 ? "GET /o/bad-" + i + ".gif HTTP/1.1\r\nHost: t\r\n\r\n" : pixel("pipe500-" + i));
        }
        r = run(PIPELINING, "500 pixels", many.toString(), true, "200 x500, kept open");
        assertEquals(400, edge.journalEvents().stream().filter(e -> e.fields().email().startsWith("pipe500-")).count());

        // Requests cut at every byte, and at random places, still frame.
        String two = pixel("frag-1") + "GET " + click + " HTTP/1.1\r\nHost: t\r\n\r\n";
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", edge.port())) {
            s.setTcpNoDelay(true);
            s.setSoTimeout(8000);
            for (byte b : ascii(two + HostileClient.SENTINEL)) {
                s.getOutputStream().write(b);
                s.getOutputStream().flush();
            }
            HostileClient.Result frag = HostileClient.read(s.getInputStream());
            HostileReport.count(PIPELINING, frag.outcome(true));
            assertEquals("200 302, kept open", frag.outcome(true));
        }
        Random random = new Random(7);
        for (int k = 0; k < 10; k++) {
            byte[] all = ascii(pixel("frag-r" + k) + two + HostileClient.SENTINEL);
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", edge.port())) {
                s.setTcpNoDelay(true);
                s.setSoTimeout(8000);
                int at = 0;
                while (at < all.length) {
                    int n = Math.min(all.length - at, 1 + random.nextInt(40));
                    s.getOutputStream().write(all, at, n);
                    s.getOutputStream().flush();
                    at += n;
                    if (random.nextInt(4) == 0) {
                        Thread.sleep(2); // the scenario: fragments spread over time, not a wait
                    }
                }
                HostileClient.Result frag = HostileClient.read(s.getInputStream());
                HostileReport.count(PIPELINING, frag.outcome(true));
                assertEquals("200 200 302, kept open", frag.outcome(true));
            }
        }
    }
}
