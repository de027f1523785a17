package io.trackedge.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.ingest.IngestKeyStore;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.OwnedPostgres;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.TestEdge;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v1/erasure} with the tenant's PostgreSQL stopped: a 503 that says the erasure was
 * rolled back and carries Retry-After, as the stats API's 503s do (before, it had none); pixels go
 * on; with PostgreSQL back, the same erasure is done.
 */
class ErasureDatabaseDownIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static HttpResponse<String> erase(TestEdge edge, String key) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + "/v1/erasure?tenant=" + TestEdge.TENANT
                        + "&email_id=erase-me")).header("Authorization", "Bearer " + key).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aStoppedDatabaseIsA503WithRetryAfterAndTheErasureIsDoneOnceItIsBack() throws Exception {
        try (OwnedPostgres pg = OwnedPostgres.create(); TestDatabase db = TestDatabase.create("127.0.0.1", pg.port())) {
            String key;
            try (Database admin = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 1)) {
                admin.migrate();
                key = new IngestKeyStore(admin.dataSource()).create(TestEdge.TENANT, "eraser", EnumSet.of(IngestKeyStore.Scope.WRITE))
                        .secret();
            }
            // The Postgres sink on: the erasure API is there only with it.
            try (TestEdge edge = TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_URL", db.jdbcUrl(),
                    "EDGE_DATABASE_USER", "postgres", "EDGE_INGEST_KEY_REFRESH", "200ms", "EDGE_JOBS_ENABLED", "false")) {
                Await.until("the edge to know the key", Duration.ofSeconds(30), () -> erase(edge, key).statusCode() == 200);
                pg.stop();
                HttpResponse<String> down = erase(edge, key);
                assertEquals(503, down.statusCode(), down.body());
                assertEquals("5", down.headers().firstValue("Retry-After").orElse(null), down.headers().map().toString());
                assertTrue(down.body().contains("was rolled back; retry"), down.body());
                assertEquals(200, HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port()
                        + edge.pixelPath("down-1"))).build(), HttpResponse.BodyHandlers.ofString()).statusCode(), "pixels go on");

                pg.start();
                Await.until("the erasure done once PostgreSQL is back", Duration.ofSeconds(60), () -> erase(edge, key).statusCode() == 200);
            }
            assertEquals(2, db.count("SELECT count(*) FROM erasure_audit"), "one erasure before the stop, one after: none of the refused");
        }
    }
}
