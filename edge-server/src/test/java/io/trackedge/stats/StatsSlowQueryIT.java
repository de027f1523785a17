package io.trackedge.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.ingest.IngestKeyStore;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * A stats query that takes longer than the public listener's idle timeout (here its tables locked by
 * another session past a 1 s idle timeout) is answered on the connection it came on: while the query
 * runs the client waits for us and is not idle. Before, the idle timeout closed the connection and
 * the answer was lost.
 */
class StatsSlowQueryIT {

    private static final String TABLES = "stats_hourly, link_clicks_hourly, automation_hourly, automation_hourly_tenant,"
            + " lead_analytics, daily_analytics";

    @Test
    void aQueryLongerThanTheIdleTimeoutIsStillAnswered() throws Exception {
        try (TestDatabase db = TestDatabase.create()) {
            String key;
            try (Database admin = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 1)) {
                admin.migrate();
                key = new IngestKeyStore(admin.dataSource()).create(TestEdge.TENANT, "reader", EnumSet.of(IngestKeyStore.Scope.READ)).secret();
            }
            try (TestEdge edge = TestEdge.start("EDGE_DATABASE_URL", db.jdbcUrl(), "EDGE_DATABASE_USER", "postgres",
                    "EDGE_INGEST_KEY_REFRESH", "200ms", "EDGE_JOBS_ENABLED", "false", "EDGE_IDLE_TIMEOUT", "1s");
                 Connection locker = db.connect()) {
                String request = "GET /v1/stats?from=2026-11-01&to=2026-11-02 HTTP/1.1\r\nHost: t.example\r\n"
                        + "Authorization: Bearer " + key + "\r\n\r\n";
                Await.until("the edge to know the key", Duration.ofSeconds(30), () -> {
                    try (RawHttp c = new RawHttp(edge.port())) {
                        return c.send(request).read(false).status() == 200;
                    }
                });
                locker.setAutoCommit(false);
                try (Statement s = locker.createStatement()) {
                    s.execute("LOCK TABLE " + TABLES + " IN ACCESS EXCLUSIVE MODE");
                }
                try (RawHttp c = new RawHttp(edge.port())) {
                    c.send(request);
                    long sent = System.nanoTime();
                    // The query waits on the lock; the condition is the idle timeout's passing twice over.
                    Await.until("the query held past twice the idle timeout", Duration.ofSeconds(30),
                            () -> db.count("SELECT count(*) FROM pg_locks WHERE NOT granted"
                                    + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())") > 0
                                    && System.nanoTime() - sent > Duration.ofSeconds(2).toNanos());
                    locker.commit();
                    RawHttp.Response r = c.read(false);
                    assertEquals(200, r.status(), r.bodyText());
                    assertTrue(r.bodyText().startsWith("{"), r.bodyText());
                }
            }
        }
    }
}
