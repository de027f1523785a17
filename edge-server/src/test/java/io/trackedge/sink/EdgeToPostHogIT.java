package io.trackedge.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.journal.EventRecord;
import io.trackedge.sink.posthog.PostHogStats;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.FakePostHog;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Requests over HTTP to events in PostHog (a fake one), through the ring, the journal and the PostHog sink. */
class EdgeToPostHogIT {

    @Test
    void pixelsAndClicksArriveInPostHogWithTheirEventIdsAndShowInMetricsAndReadiness() throws Exception {
        try (FakePostHog fake = FakePostHog.start("phc_edge");
             TestEdge edge = TestEdge.start("POSTHOG_API_KEY", "phc_edge", "POSTHOG_HOST", fake.host() + "/",
                     "EDGE_POSTHOG_LINGER", "5ms")) {
            int n = 400;
            try (RawHttp c = new RawHttp(edge.port())) {
                for (int i = 0; i < n; i++) {
                    if (i % 4 == 0) {
                        assertEquals(302, c.get(edge.clickPath("ph-" + i, "https://example.com/p/" + i, false)).status());
                    } else {
                        assertEquals(200, c.get(edge.pixelPath("ph-" + i)).status());
                    }
                }
            }
            assertEquals(n, fake.awaitUuids(n, Duration.ofSeconds(30)));
            Set<UUID> journaled = new HashSet<>();
            for (EventRecord e : edge.journalEvents()) {
                journaled.add(e.id());
            }
            assertEquals(journaled, fake.uuids());
            for (FakePostHog.Captured e : fake.events()) {
                assertEquals(TestEdge.USER.toString(), e.distinctId());
                assertTrue(e.event().equals("email_opened") || e.event().equals("email_clicked"), e.event());
                assertEquals(TestEdge.TENANT.toString(), e.properties().get("tenant_id"));
                assertTrue(!e.properties().containsKey("$ip"), "no IPs by default");
            }

            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + edge.adminPort();
            // The sink counts what it sent, and reports itself up, once PostHog's answer is back: after
            // the fake recorded the events.
            String sent = "edge_sink_posthog_events_sent_total " + n + ".0";
            String metrics = Await.until("the PostHog sink to count what it sent", Duration.ofSeconds(30),
                    () -> http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                            HttpResponse.BodyHandlers.ofString()).body(),
                    m -> m.contains(sent) && m.contains("edge_sink_posthog_up 1.0"));
            assertTrue(metrics.contains(sent), metrics);
            assertTrue(metrics.contains("edge_sink_posthog_up 1.0"), metrics);
            HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(ready.body().contains("posthog-sink"), ready.body());

            // PostHog down never makes the edge unready: it is information, not a failure.
            fake.down();
            try (RawHttp c = new RawHttp(edge.port())) {
                assertEquals(200, c.get(edge.pixelPath("ph-down")).status());
            }
            Await.until("the PostHog sink to see PostHog down", Duration.ofSeconds(30),
                    () -> !http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                            HttpResponse.BodyHandlers.ofString()).body().contains("edge_sink_posthog_up 1.0"));
            ready = http.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ready.statusCode(), ready.body());
            assertTrue(ready.body().contains("retrying"), ready.body());
            fake.up();
            assertEquals(n + 1, fake.awaitUuids(n + 1, Duration.ofSeconds(30)));
        }
    }
}
