package io.trackedge.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The public routes over real sockets against a started edge (journal acknowledgements). */
class PublicListenerTest {

    private static TestEdge edge;

    @BeforeAll
    static void start() throws Exception {
        edge = TestEdge.start();
    }

    @AfterAll
    static void stop() throws Exception {
        edge.close();
    }

    private static List<EventRecord> eventsFor(String email) {
        return edge.journalEvents().stream().filter(e -> e.fields().email().equals(email)).toList();
    }

    private static void assertNoCache(RawHttp.Response r) {
        assertEquals("no-store, no-cache, must-revalidate, private, max-age=0", r.header("cache-control"));
        assertEquals("no-cache", r.header("pragma"));
        assertEquals("Thu, 01 Jan 1970 00:00:00 GMT", r.header("expires"));
        assertNotNull(r.header("date"));
    }

    @Test
    void pixelIsTheGifWithNoCacheHeadersAndIsJournaledBeforeTheAnswer() throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            RawHttp.Response r = c.get(edge.pixelPath("px-1"));
            assertEquals(200, r.status());
            assertEquals("image/gif", r.header("content-type"));
            assertEquals("43", r.header("content-length"));
            assertArrayEquals(Responses.GIF, r.body());
            assertNoCache(r);
            // journal acknowledgements: the event is in the file by the time the response arrives
            List<EventRecord> events = eventsFor("px-1");
            assertEquals(1, events.size());
            EventRecord e = events.get(0);
            assertEquals(EventType.OPEN, e.type());
            assertEquals(TestEdge.TENANT, e.fields().tenant());
            assertEquals(TestEdge.USER, e.fields().user());
            assertEquals("camp-1", e.fields().campaign());
            assertEquals("mbox-1", e.fields().mailbox());
            assertEquals("lead-1", e.fields().lead());
            assertEquals("step-2", e.fields().step());
            assertEquals("raw-test", e.userAgent());
            assertArrayEquals(new byte[] {127, 0, 0, 1}, e.ip());
            assertEquals(7, e.id().version());
            assertEquals(0, e.flags() & EventRecord.FLAG_HEAD);
            assertEquals(0, e.flags() & EventRecord.FLAG_MACHINE);
        }
    }

    /** The README's promise: the edge flags what is free, HEAD and an empty User-Agent, for when nothing classifies. */
    @Test
    void anOpenOrClickWithoutAUserAgentIsFlaggedAMachines() throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            assertEquals(200, c.send("GET " + edge.pixelPath("px-no-ua") + " HTTP/1.1\r\nHost: t\r\n\r\n").read(false).status());
            assertEquals(200, c.send("GET " + edge.pixelPath("px-empty-ua") + " HTTP/1.1\r\nHost: t\r\nUser-Agent: \r\n\r\n")
                    .read(false).status());
            assertEquals(EventRecord.FLAG_MACHINE, eventsFor("px-no-ua").get(0).flags() & EventRecord.FLAG_MACHINE);
            assertEquals(EventRecord.FLAG_MACHINE, eventsFor("px-empty-ua").get(0).flags() & EventRecord.FLAG_MACHINE);
        }
    }

    @Test
    void headPixelHasTheHeadersButNoBodyAndIsFlagged() throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            c.send("HEAD " + edge.pixelPath("px-head") + " HTTP/1.1\r\nHost: t\r\n\r\n");
            RawHttp.Response r = c.read(true);
            assertEquals(200, r.status());
            assertEquals("43", r.header("content-length"));
            assertEquals("image/gif", r.header("content-type"));
            // the next response on the same connection must start right away: no stray body bytes
            RawHttp.Response next = c.get("/nothing-here");
            assertEquals(404, next.status());
            assertEquals(EventRecord.FLAG_HEAD, eventsFor("px-head").get(0).flags() & EventRecord.FLAG_HEAD);
        }
    }

    @Test
    void keepAliveServesManyRequestsOnOneConnection() throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            for (int i = 0; i < 50; i++) {
                RawHttp.Response r = c.get(edge.pixelPath("ka-" + i));
                assertEquals(200, r.status());
                assertNull(r.header("connection"));
            }
        }
        for (int i = 0; i < 50; i++) {
            assertEquals(1, eventsFor("ka-" + i).size());
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        String click = edge.clickPath("pipe-c", "https://example.com/p", true);
        try (RawHttp c = new RawHttp(edge.port())) {
            String req = "GET " + edge.pixelPath("pipe-1") + " HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "GET /missing HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "GET " + click + " HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "GET /o/not-a-token.gif HTTP/1.1\r\nHost: t\r\n\r\n";
            c.send(req);
            assertEquals(200, c.read(false).status());
            assertEquals(404, c.read(false).status());
            RawHttp.Response r = c.read(false);
            assertEquals(302, r.status());
            assertEquals("https://example.com/p", r.header("location"));
            assertEquals(200, c.read(false).status());
        }
    }

    @Test
    void http10WithoutKeepAliveIsClosedAfterTheResponse() throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            c.send("GET " + edge.pixelPath("h10") + " HTTP/1.0\r\n\r\n");
            RawHttp.Response r = c.read(false);
            assertEquals(200, r.status());
            assertEquals("close", r.header("connection"));
            assertArrayEquals(Responses.GIF, r.body());
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void http10WithKeepAliveStaysOpen() throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            for (int i = 0; i < 3; i++) {
                c.send("GET " + edge.pixelPath("h10ka-" + i) + " HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
                RawHttp.Response r = c.read(false);
                assertEquals(200, r.status());
                assertEquals("keep-alive", r.header("connection"));
            }
        }
    }

    @Test
    void connectionCloseFromAnHttp11ClientIsHonoured() throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            c.send("GET " + edge.pixelPath("cc") + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
            assertEquals("close", c.read(false).header("connection"));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void badPixelTokensStillGetTheGifButRecordNothing() throws Exception {
        String good = edge.pixelPath("bad-px");
        String tampered = good.substring(0, 10) + (good.charAt(10) == 'A' ? 'B' : 'A') + good.substring(11);
        String click = edge.clickPath("bad-px-click", "https://example.com/", true).replace("/c/", "/o/") + ".gif";
        for (String path : List.of(tampered, "/o/x.gif", "/o/", "/o/garbage", click, "/o/" + "A".repeat(3000) + ".gif")) {
            try (RawHttp c = new RawHttp(edge.port())) {
                RawHttp.Response r = c.get(path);
                assertEquals(200, r.status(), path);
                assertArrayEquals(Responses.GIF, r.body(), path);
            }
        }
        assertTrue(eventsFor("bad-px").isEmpty());
        assertTrue(eventsFor("bad-px-click").isEmpty());
    }

    @Test
    void clickWithTheUrlInTheTokenRedirectsAndIsJournaled() throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            RawHttp.Response r = c.get(edge.clickPath("clk-1", "https://example.com/landing?utm_source=mail&x=1", true));
            assertEquals(302, r.status());
            assertEquals("https://example.com/landing?utm_source=mail&x=1", r.header("location"));
            assertEquals("0", r.header("content-length"));
            assertNoCache(r);
        }
        List<EventRecord> events = eventsFor("clk-1");
        assertEquals(1, events.size());
        assertEquals(EventType.CLICK, events.get(0).type());
        assertEquals("https://example.com/landing?utm_source=mail&x=1", events.get(0).url());
    }

    @Test
    void clickWithTheUrlInTheQueryRedirectsToExactlyThatUrl() throws Exception {
        String dest = "http://shop.example/cart?id=5&ref=a+b%2Fc";
        try (RawHttp c = new RawHttp(edge.port())) {
            RawHttp.Response r = c.get(edge.clickPath("clk-q", dest, false));
            assertEquals(302, r.status());
            assertEquals(dest, r.header("location"));
        }
        assertEquals(dest, eventsFor("clk-q").get(0).url());
    }

    @Test
    void unicodeAndSpacesInADestinationArePercentEncodedBeforeSigning() throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            RawHttp.Response r = c.get(edge.clickPath("clk-u", "https://example.com/caf\u00e9 menu", true));
            assertEquals(302, r.status());
            assertEquals("https://example.com/caf%C3%A9%20menu", r.header("location"));
        }
    }

    @Test
    void aClickWhoseQueryUrlIsNotTheSignedOneIsRefused() throws Exception {
        String signed = edge.clickPath("swap", "https://good.example/", false);
        String swapped = signed.substring(0, signed.indexOf("?u=")) + "?u=https%3A%2F%2Fevil.example%2F";
        String inline = edge.clickPath("swap-inline", "https://good.example/", true);
        for (String path : List.of(swapped, signed.substring(0, signed.indexOf('?')),
                inline + "?u=https%3A%2F%2Fevil.example%2F")) {
            assertBadLink(path);
        }
        assertTrue(eventsFor("swap").isEmpty());
        assertTrue(eventsFor("swap-inline").isEmpty());
    }

    @Test
    void badClickTokensGet400NeverARedirect() throws Exception {
        String good = edge.clickPath("bad-click", "https://example.com/", true);
        String tampered = good.substring(0, 12) + (good.charAt(12) == 'A' ? 'B' : 'A') + good.substring(13);
        String open = edge.pixelPath("open-as-click").replace("/o/", "/c/").replace(".gif", "");
        for (String path : List.of(tampered, "/c/", "/c/AAAA", "/c/%00", open, good + "?u=%zz")) {
            assertBadLink(path);
        }
    }

    @Test
    void signedButUnsafeDestinationsAreNeverRedirectedTo() throws Exception {
        var f = TestEdge.fields("unsafe");
        List<String> inline = List.of("javascript:alert(1)", "data:text/html,x", "//evil.example/", "ftp://x.example/",
                "https://evil.example\\@good.example/", "https://user@evil.example/", "https://a.example/\r\nSet-Cookie: x=1",
                "https://a.example/\u0000", "https:///nohost");
        for (String url : inline) {
            assertBadLink("/c/" + io.trackedge.token.UnsafeTokens.inlineClick(TestEdge.KEYS, f, url));
        }
        String crlf = io.trackedge.token.UnsafeTokens.queryClick(TestEdge.KEYS, f,
                io.trackedge.token.UnsafeTokens.ascii("https://a.example/\r\nX: y"));
        assertBadLink("/c/" + crlf + "?u=https%3A%2F%2Fa.example%2F%0D%0AX%3A+y");
        assertTrue(eventsFor("unsafe").isEmpty());
    }

    private static void assertBadLink(String path) throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            RawHttp.Response r = c.get(path);
            assertEquals(400, r.status(), path);
            assertNull(r.header("location"), path);
            assertTrue(r.header("content-type").startsWith("text/html"), path);
            assertTrue(r.bodyText().contains("Link not valid"), path);
        }
    }

    @Test
    void unknownPathsAre404AndOtherMethodsOnTrackingPaths405() throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            assertEquals(404, c.get("/").status());
            assertEquals(404, c.get("/favicon.ico").status());
            assertEquals(404, c.get("/oo/x.gif").status());
            c.send("POST " + edge.pixelPath("post") + " HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
            RawHttp.Response r = c.read(false);
            assertEquals(405, r.status());
            assertEquals("GET, HEAD", r.header("allow"));
            c.send("DELETE /c/abc HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(405, c.read(false).status());
            // the connection survived all of that
            assertEquals(200, c.get(edge.pixelPath("after-405")).status());
        }
        assertTrue(eventsFor("post").isEmpty());
    }

    @Test
    void aTooLongUriIs414AndTheConnectionCloses() throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            c.send("GET /o/" + "a".repeat(9000) + ".gif HTTP/1.1\r\nHost: t\r\n\r\n");
            RawHttp.Response r = c.read(false);
            assertEquals(414, r.status());
            assertEquals("close", r.header("connection"));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void tooLargeHeadersAre431AndTheConnectionCloses() throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            c.send("GET /o/x.gif HTTP/1.1\r\nHost: t\r\nX-Big: " + "b".repeat(9000) + "\r\n\r\n");
            RawHttp.Response r = c.read(false);
            assertEquals(431, r.status());
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void garbageIs400AndTheConnectionCloses() throws Exception {
        for (String garbage : List.of("\u0001\u0002\u0003 nonsense\r\n\r\n", "GET /o/x.gif HTTP/9.9\r\n\r\n",
                "GET /o/x.gif HTTP/1.1\r\nBad Header Without Colon\r\n\r\n")) {
            try (RawHttp c = new RawHttp(edge.port())) {
                c.send(garbage);
                RawHttp.Response r = c.read(false);
                assertEquals(garbage.contains("9.9") ? 505 : 400, r.status(), garbage);
                assertFalse(r.bodyText().contains("Exception"), garbage);
                assertTrue(c.closedByServer(), garbage);
            }
        }
        try (RawHttp c = new RawHttp(edge.port())) {
            assertEquals(200, c.get(edge.pixelPath("after-garbage")).status());
        }
    }

    @Test
    void forwardedForIsIgnoredFromAnUntrustedPeer() throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            c.send("GET " + edge.pixelPath("xff-untrusted") + " HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n");
            assertEquals(200, c.read(false).status());
        }
        assertArrayEquals(new byte[] {127, 0, 0, 1}, eventsFor("xff-untrusted").get(0).ip());
    }
}
