package io.trackedge.toolkit;

import static io.trackedge.toolkit.Fixtures.URLS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.http.Responses;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import io.trackedge.toolkit.EmailRewriter.Options;
import io.trackedge.toolkit.EmailRewriter.Result;
import io.trackedge.toolkit.EmailRewriter.WrappedLink;
import java.util.ArrayList;
import java.util.List;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Rewritten emails against a started edge over real sockets: every link the HTML now carries
 * redirects to exactly the destination the sender wrote, the pixel answers, and the journal holds
 * one event per request with the email's identifiers.
 */
class RewriterEndToEndTest {

    private static TestEdge edge;

    @BeforeAll
    static void start() throws Exception {
        edge = TestEdge.start();
    }

    @AfterAll
    static void stop() throws Exception {
        edge.close();
    }

    @Test
    void everyWrappedLinkRedirectsToItsDestinationAndThePixelIsRecorded() throws Exception {
        for (String fixture : List.of("newsletter.html", "transactional.html", "edge-cases.html")) {
            for (boolean inToken : List.of(true, false)) {
                String email = "e2e-" + fixture + (inToken ? "-token" : "-query");
                EventFields ids = TestEdge.fields(email);
                Result r = new EmailRewriter(URLS, Options.defaults().withUrlInToken(inToken))
                        .rewrite(Fixtures.read(fixture), ids);
                assertTrue(r.wrapped().size() >= 2, email);

                // the links as a mail client sees them, so the test follows what a reader would click
                List<String> clicked = new ArrayList<>();
                List<String> expected = new ArrayList<>();
                try (RawHttp c = new RawHttp(edge.port())) {
                    for (WrappedLink w : r.wrapped()) {
                        String path = path(w.trackingUrl());
                        assertTrue(inOutput(r, w), w.trackingUrl());
                        RawHttp.Response resp = c.get(path);
                        assertEquals(302, resp.status(), email + " " + w.href());
                        assertEquals(w.destination(), resp.header("location"), email + " " + w.href());
                        clicked.add(resp.header("location"));
                        expected.add(w.destination());
                    }
                    RawHttp.Response pixel = c.get(path(r.pixelUrl()));
                    assertEquals(200, pixel.status());
                    assertEquals("image/gif", pixel.header("content-type"));
                    assertArrayEquals(Responses.GIF, pixel.body());
                }
                assertEquals(expected, clicked);

                List<EventRecord> events = edge.journalEvents().stream()
                        .filter(e -> e.fields().email().equals(email)).toList();
                List<EventRecord> clicks = events.stream().filter(e -> e.type() == EventType.CLICK).toList();
                List<EventRecord> opens = events.stream().filter(e -> e.type() == EventType.OPEN).toList();
                assertEquals(1, opens.size(), email);
                assertEquals(r.wrapped().size(), clicks.size(), email);
                assertEquals(expected, clicks.stream().map(EventRecord::url).toList(), email);
                for (EventRecord e : events) {
                    assertEquals(ids.withInlineUrl(null), e.fields().withInlineUrl(null), email);
                }
            }
        }
    }

    @Test
    void theDestinationsAreTheOnesTheSenderWrote() throws Exception {
        // independent of the rewriter's own report: the expected table of the fixture test
        String email = "e2e-destinations";
        Result r = new EmailRewriter(URLS).rewrite(Fixtures.read("edge-cases.html"), TestEdge.fields(email));
        List<String> locations = new ArrayList<>();
        try (RawHttp c = new RawHttp(edge.port())) {
            for (Element a : Jsoup.parse(r.html()).select("a[href^='http://t.example/c/'], area[href^='http://t.example/c/']")) {
                if (a.attr("href").contains("AQEHAAAA") || a.attr("href").startsWith("HTTP://")) {
                    continue; // the two links that were already "tracked" in the fixture are not ours
                }
                RawHttp.Response resp = c.get(path(a.attr("href")));
                assertEquals(302, resp.status(), a.outerHtml());
                if (locations.isEmpty() || !locations.get(locations.size() - 1).equals(resp.header("location"))) {
                    locations.add(resp.header("location")); // the misnested link appears twice in the tree
                }
            }
        }
        assertEquals(RewriterFixturesTest.EDGE_CASES_WRAPPED.stream().map(x -> x[1]).toList(), locations);
    }

    private static boolean inOutput(Result r, WrappedLink w) {
        return r.html().contains("\"" + w.trackingUrl() + "\"") || r.html().contains("'" + w.trackingUrl() + "'");
    }

    private static String path(String url) {
        assertTrue(url.startsWith("http://t.example/"), url);
        return url.substring("http://t.example".length());
    }
}
