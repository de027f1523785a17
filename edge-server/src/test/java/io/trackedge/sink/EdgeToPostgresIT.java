package io.trackedge.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.Recount;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Requests over HTTP to rows in PostgreSQL, through the ring, the journal and the sink. */
class EdgeToPostgresIT {

    @Test
    void nPixelAndClickRequestsBecomeExactlyNRowsWithMatchingAggregates() throws Exception {
        try (TestDatabase db = TestDatabase.create();
             TestEdge edge = TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_URL", db.jdbcUrl(),
                     "EDGE_DATABASE_USER", "postgres")) {
            Random random = new Random(42);
            int n = 3000;
            int opens = 0;
            int heads = 0;
            try (RawHttp c = new RawHttp(edge.port())) {
                for (int i = 0; i < n; i++) {
                    String email = "e2e-" + random.nextInt(400);
                    int r = random.nextInt(10);
                    if (r < 6) {
                        assertEquals(200, c.get(edge.pixelPath(email)).status());
                        opens++;
                    } else if (r < 7) {
                        c.send("HEAD " + edge.pixelPath(email) + " HTTP/1.1\r\nHost: t\r\n\r\n");
                        assertEquals(200, c.read(true).status());
                        opens++;
                        heads++;
                    } else {
                        assertEquals(302, c.get(edge.clickPath(email, "https://example.com/p/" + (i % 9), r == 9)).status());
                    }
                }
                // bad tokens are answered but never become rows
                assertEquals(200, c.get("/o/bogus.gif").status());
                assertEquals(400, c.get("/c/bogus").status());
            }
            Await.until(n + " rows in email_events", Duration.ofSeconds(30), () -> db.count("SELECT count(*) FROM email_events") >= n);
            assertEquals(n, db.count("SELECT count(*) FROM email_events"));
            assertEquals(n, db.count("SELECT count(DISTINCT event_id) FROM email_events"));
            assertEquals(opens, db.count("SELECT count(*) FROM email_events WHERE event_type = 'open'"));
            // Classified by the sink: every HEAD is a machine for that reason (other requests may be machines for
            // other reasons: this test client's User-Agent, links of one email in a burst). Every event carries its verdict.
            assertEquals(heads, db.count("SELECT count(*) FROM email_events WHERE is_machine AND reasons & 1 = 1"));
            assertEquals(0, db.count("SELECT count(*) FROM email_events WHERE automation IS NULL"));
            assertEquals(db.count("SELECT count(DISTINCT email_id) FROM email_events WHERE event_type = 'open'"),
                    db.count("SELECT count(*) FROM email_opens"));
            assertEquals(db.count("SELECT count(DISTINCT email_id) FROM email_events WHERE event_type = 'click'"),
                    db.count("SELECT count(*) FROM email_clicks"));
            assertEquals(0, db.count("SELECT count(*) FROM email_events WHERE event_type = 'click' AND url NOT LIKE 'https://example.com/p/%'"));
            assertEquals(0, db.count("SELECT count(*) FROM email_events WHERE ip_address <> '127.0.0.1'::inet"));
            List<List<String>> daily = Recount.compare(db);
            assertEquals(daily.get(1), daily.get(0));
            assertTrue(db.count("SELECT sum(opens_unique) FROM daily_analytics") > 0);
            // caught up: the lag gauge is back at zero (it once double-counted events from before the sink connected)
            // The rows are committed before the sink moves its position, which the gauge follows: wait for it.
            String metrics = Await.until("the lag gauge back at zero", Duration.ofSeconds(30),
                    () -> java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create("http://127.0.0.1:" + edge.adminPort() + "/metrics")).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString()).body(),
                    m -> m.contains("edge_sink_postgres_lag_events 0.0"));
            assertTrue(metrics.contains("edge_sink_postgres_lag_events 0.0"), metrics);
        }
    }
}
