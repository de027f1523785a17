package io.trackedge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.ingest.IngestKeyStore;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * The admin listener's idle timeout (1 s here) spares a connection whose dashboard page is still
 * being built off the loop: the overview's stats query is held behind a lock on {@code stats_hourly}
 * for several timeouts, the connection stays open, and the answer arrives on it once the lock goes.
 * Then, idle again, it is closed.
 */
class AdminDashboardIdleIT {

    @Test
    void aConnectionWaitingForItsDashboardPageOutlivesTheIdleTimeoutAndGetsThePage() throws Exception {
        try (TestDatabase testDb = TestDatabase.create();
                Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 1)) {
            db.migrate();
            String key = new IngestKeyStore(db.dataSource())
                    .create(TestEdge.TENANT, "reader", EnumSet.of(IngestKeyStore.Scope.READ)).secret();
            try (TestEdge edge = TestEdge.start("EDGE_DATABASE_URL", testDb.jdbcUrl(), "EDGE_DATABASE_USER", "postgres",
                    "EDGE_JOBS_ENABLED", "false", "EDGE_IDLE_TIMEOUT", "1s", "EDGE_INGEST_KEY_REFRESH", "200ms");
                    Connection locker = DriverManager.getConnection(testDb.jdbcUrl(), "postgres", null);
                    Statement s = locker.createStatement();
                    RawHttp c = new RawHttp(edge.adminPort())) {
                HttpClient http = HttpClient.newHttpClient();
                Await.until("the edge to load the key", Duration.ofSeconds(30), () -> http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + edge.port() + "/v1/stats?granularity=total&metrics=sent"))
                        .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
                locker.setAutoCommit(false);
                s.execute("LOCK TABLE stats_hourly IN ACCESS EXCLUSIVE MODE");
                c.send("GET /dashboard HTTP/1.1\r\nHost: a\r\nCookie: te_key=" + key + "\r\n\r\n");
                Await.until("the overview's stats query to wait for the lock", Duration.ofSeconds(30),
                        () -> testDb.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                + " AND wait_event_type = 'Lock' AND query LIKE '%stats_hourly%'") >= 1);
                c.timeout(3_000); // three idle timeouts with the page still being built
                assertFalse(c.closedByServer(), "closed while its dashboard page was being built");

                locker.rollback(); // the lock goes, the query runs, the page is sent
                c.timeout(30_000);
                RawHttp.Response r = c.read(false);
                assertEquals(200, r.status(), r.statusLine() + " " + r.bodyText());
                assertTrue(r.bodyText().contains("<!doctype html>"), r.bodyText());

                c.timeout(5_000);
                assertTrue(c.closedByServer(), "closed once idle again after its page");
            }
        }
    }
}
