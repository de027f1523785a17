package io.trackedge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.journal.Attributes;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import io.trackedge.token.TokenSigner;
import io.trackedge.token.TrackingUrls;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One-click unsubscribe (RFC 8058) over real sockets: only a POST carrying List-Unsubscribe=One-Click
 * to an unsubscribe token records anything; GET and HEAD, from people or scanners, never do.
 */
class UnsubscribeRouteTest {

    private static final String ONE_CLICK = "List-Unsubscribe=One-Click";
    private static TestEdge edge;
    private static final TrackingUrls URLS = new TrackingUrls("http://t.example", new TokenSigner(TestEdge.KEYS));

    @BeforeAll
    static void start() throws Exception {
        edge = TestEdge.start();
    }

    @AfterAll
    static void stop() throws Exception {
        edge.close();
    }

    private static String path(String email) {
        return URLS.unsubscribe(TestEdge.fields(email)).substring("http://t.example".length());
    }

    private static List<EventRecord> eventsFor(String email) {
        return edge.journalEvents().stream().filter(e -> e.fields().email().equals(email)).toList();
    }

    private static String post(String path, String contentType, String body, String userAgent) {
        return "POST " + path + " HTTP/1.1\r\nHost: t.example\r\nUser-Agent: " + userAgent + "\r\n"
                + (contentType == null ? "" : "Content-Type: " + contentType + "\r\n")
                + "Content-Length: " + body.length() + "\r\n\r\n" + body;
    }

    @Test
    void aGetShowsAConfirmFormThatPostsOneClickAndRecordsNothing() throws Exception {
        String path = path("u-get");
        try (RawHttp c = new RawHttp(edge.port())) {
            RawHttp.Response r = c.get(path);
            assertEquals(200, r.status());
            assertEquals("text/html; charset=utf-8", r.header("content-type"));
            assertEquals("no-store", r.header("cache-control"));
            String html = r.bodyText();
            assertTrue(html.contains("<form method=\"post\" action=\"" + path + "\">"), html);
            assertTrue(html.contains("name=\"List-Unsubscribe\" value=\"One-Click\""), html);
            // Same connection, next request: the page left no stray bytes.
            assertEquals(404, c.get("/nothing-here").status());
        }
        assertEquals(List.of(), eventsFor("u-get"));
    }

    @Test
    void aHeadOrAScannersGetRecordsNothing() throws Exception {
        String path = path("u-scan");
        try (RawHttp c = new RawHttp(edge.port())) {
            c.send("HEAD " + path + " HTTP/1.1\r\nHost: t\r\nUser-Agent: Mozilla/5.0 (compatible; Barracuda Sentinel)\r\n\r\n");
            RawHttp.Response head = c.read(true);
            assertEquals(200, head.status());
            assertTrue(Integer.parseInt(head.header("content-length")) > 0);
            c.send("GET " + path + " HTTP/1.1\r\nHost: t\r\nUser-Agent: Microsoft Office Protocol Discovery\r\n\r\n");
            assertEquals(200, c.read(false).status());
            c.send("GET " + path + " HTTP/1.1\r\nHost: t\r\nUser-Agent: python-requests/2.31.0\r\n\r\n");
            assertEquals(200, c.read(false).status());
            // A marker request after them: once it is journaled, the scanners' would have been too.
            assertEquals(200, c.get(edge.pixelPath("u-scan-marker")).status());
        }
        assertEquals(1, eventsFor("u-scan-marker").size());
        assertEquals(List.of(), eventsFor("u-scan"));
    }

    @Test
    void aOneClickPostRecordsOneUnsubscribedEventBeforeTheAnswer() throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            c.send(post(path("u-post"), "application/x-www-form-urlencoded", ONE_CLICK, "Gmail one-click"));
            RawHttp.Response r = c.read(false);
            assertEquals(200, r.status());
            assertTrue(r.bodyText().contains("Unsubscribed"), r.bodyText());
            // journal acknowledgements: in the file by the time the answer arrives
            List<EventRecord> events = eventsFor("u-post");
            assertEquals(1, events.size());
            EventRecord e = events.get(0);
            assertEquals(EventType.UNSUBSCRIBED, e.type());
            assertEquals(TestEdge.TENANT, e.fields().tenant());
            assertEquals("camp-1", e.fields().campaign());
            assertEquals("lead-1", e.fields().lead());
            assertEquals("Gmail one-click", e.userAgent());
            assertEquals(0, e.flags() & EventRecord.FLAG_HEAD);
        }
    }

    /**
     * The edge marks a one-click unsubscribe as such, with the request's address: an erasure forgets its id,
     * the recipient's, and keeps a mail server's unsubscribe id (sent through the ingest API, unmarked).
     */
    @Test
    void aOneClickPostIsMarkedAsOneClickWithItsClientAddress() throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            c.send(post(path("u-mark"), "application/x-www-form-urlencoded", ONE_CLICK, "Gmail one-click"));
            assertEquals(200, c.read(false).status());
        }
        EventRecord e = eventsFor("u-mark").get(0);
        assertEquals(Attributes.ONE_CLICK_YES, e.attributes().get(Attributes.ONE_CLICK), e.attributes().toString());
        assertTrue(e.ip().length > 0);
        assertTrue(Attributes.isOneClick(e));
    }

    /**
     * A one-click POST journals the id of its token, marked as chosen by the client, which the Postgres
     * sink writes once (as an ingest client's retried id), whichever edge a provider's retry reaches; a
     * retry (or a flood of one link) the same event loop recorded lately is answered as done and not
     * journaled again. Another email's link has another id.
     */
    @Test
    void aRetriedOneClickPostCarriesTheSameClientChosenId() throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            for (String email : List.of("u-retry", "u-retry", "u-retry", "u-other")) {
                c.send(post(path(email), "application/x-www-form-urlencoded", ONE_CLICK, "Gmail one-click"));
                assertEquals(200, c.read(false).status());
            }
        }
        List<EventRecord> retried = eventsFor("u-retry");
        assertEquals(1, retried.size(), "the retries on one loop are answered, not journaled again");
        assertTrue(io.trackedge.journal.Attributes.hasClientId(retried.get(0)), retried.get(0).attributes().toString());
        assertEquals(8, retried.get(0).id().version());
        assertEquals(2, retried.get(0).id().variant());
        assertTrue(!retried.get(0).id().equals(eventsFor("u-other").get(0).id()));
    }

    @Test
    void aMultipartOneClickPostCountsAndPipelinedRequestsStayInOrder() throws Exception {
        String boundary = "b0undary";
        String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--"
                + boundary + "--\r\n";
        try (RawHttp c = new RawHttp(edge.port())) {
            c.send(post(path("u-multi"), "multipart/form-data; boundary=" + boundary, body, "Yahoo")
                    + "GET /missing HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, c.read(false).status());
            assertEquals(404, c.read(false).status());
        }
        assertEquals(1, eventsFor("u-multi").size());
    }

    @Test
    void aPostWithoutTheOneClickBodyOrWithAnotherTokenKindRecordsNothing() throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            c.send(post(path("u-bad"), "application/x-www-form-urlencoded", "unsubscribe=yes", "x"));
            assertEquals(400, c.read(false).status());
            c.send(post(path("u-bad"), "text/plain", ONE_CLICK, "x"));
            assertEquals(400, c.read(false).status());
            c.send(post(path("u-bad"), "application/x-www-form-urlencoded", "", "x"));
            assertEquals(400, c.read(false).status());
            // An open pixel's token is not an unsubscribe token: a leaked pixel URL unsubscribes nobody.
            String pixelToken = edge.pixelPath("u-bad").substring(3).replace(".gif", "");
            c.send(post("/u/" + pixelToken, "application/x-www-form-urlencoded", ONE_CLICK, "x"));
            assertEquals(400, c.read(false).status());
            c.send(post("/u/AAAAnot-a-token", "application/x-www-form-urlencoded", ONE_CLICK, "x"));
            assertEquals(400, c.read(false).status());
            c.send("PUT " + path("u-bad") + " HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
            assertEquals(405, c.read(false).status());
            // And the unsubscribe token as a pixel: the GIF, and nothing recorded.
            assertEquals(200, c.get(path("u-bad").replace("/u/", "/o/") + ".gif").status());
            assertEquals(200, c.get(edge.pixelPath("u-bad-marker")).status());
        }
        assertEquals(1, eventsFor("u-bad-marker").size());
        assertEquals(List.of(), eventsFor("u-bad"));
    }

    @Test
    void theBodyRulesFollowRfc8058() {
        assertTrue(UnsubscribeExchange.isOneClick("application/x-www-form-urlencoded", ONE_CLICK));
        assertTrue(UnsubscribeExchange.isOneClick(null, ONE_CLICK + "\r\n"));
        assertTrue(UnsubscribeExchange.isOneClick("application/x-www-form-urlencoded; charset=utf-8", "a=b&" + ONE_CLICK));
        assertFalse(UnsubscribeExchange.isOneClick("application/x-www-form-urlencoded", "List-Unsubscribe=one-click"));
        assertFalse(UnsubscribeExchange.isOneClick("application/json", "{\"List-Unsubscribe\":\"One-Click\"}"));
    }
}
