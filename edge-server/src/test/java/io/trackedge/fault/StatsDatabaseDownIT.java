package io.trackedge.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.ingest.IngestKeyStore;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.OwnedPostgres;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.stats.StatsService;
import io.trackedge.testing.TestEdge;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The stats API with its PostgreSQL stopped: a 503 with Retry-After ("retry"), not a 500 ("our
 * bug"), logged as one warning line without a stack trace, and the edge's pixels go on; with
 * PostgreSQL back, 200 again.
 */
class StatsDatabaseDownIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static HttpResponse<String> get(TestEdge edge, String path, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + path)).timeout(Duration.ofSeconds(30));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aStoppedDatabaseIsA503WithRetryAfterAndPixelsGoOn() throws Exception {
        try (OwnedPostgres pg = OwnedPostgres.create(); TestDatabase db = TestDatabase.create("127.0.0.1", pg.port())) {
            String key;
            try (Database admin = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 1)) {
                admin.migrate();
                key = new IngestKeyStore(admin.dataSource()).create(TestEdge.TENANT, "reader", EnumSet.of(IngestKeyStore.Scope.READ)).secret();
            }
            try (TestEdge edge = TestEdge.start("EDGE_DATABASE_URL", db.jdbcUrl(), "EDGE_DATABASE_USER", "postgres",
                    "EDGE_INGEST_KEY_REFRESH", "200ms", "EDGE_JOBS_ENABLED", "false")) {
                Await.until("the edge to know the key", Duration.ofSeconds(30), () -> get(edge, "/v1/stats", key).statusCode() == 200);
                pg.stop();
                Logger statsLog = (Logger) LoggerFactory.getLogger(StatsService.class);
                ListAppender<ILoggingEvent> logged = new ListAppender<>();
                logged.start();
                statsLog.addAppender(logged);
                HttpResponse<String> down;
                try {
                    down = get(edge, "/v1/stats", key);
                } finally {
                    statsLog.detachAppender(logged);
                }
                assertEquals(503, down.statusCode(), down.body());
                assertEquals("5", down.headers().firstValue("Retry-After").orElse(null));
                assertTrue(down.body().contains("the database is unreachable; retry later"), down.body());
                // the README's promise: one warning line a request, not a stack trace
                assertEquals(1, logged.list.size(), logged.list.toString());
                ILoggingEvent line = logged.list.get(0);
                assertEquals(Level.WARN, line.getLevel());
                assertNull(line.getThrowableProxy(), "no stack trace");
                assertTrue(line.getFormattedMessage().startsWith("stats query /v1/stats: the database is unreachable: "),
                        line.getFormattedMessage());
                assertEquals(200, get(edge, edge.pixelPath("down-1"), null).statusCode(), "pixels do not need the database");

                pg.start();
                Await.until("the stats API to answer again", Duration.ofSeconds(60), () -> get(edge, "/v1/stats", key).statusCode() == 200);
            }
        }
    }
}
