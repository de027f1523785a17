package io.trackedge.ingest;

import static io.trackedge.ingest.IngestClient.email;
import static io.trackedge.ingest.IngestClient.ndjson;
import static io.trackedge.ingest.IngestClient.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.OwnedPostgres;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * An edge that has never read its API keys (it started while PostgreSQL was stopped) cannot tell a
 * valid key from an invalid one: the ingest API answers a well-formed key it does not hold with 503
 * and Retry-After ("retry"), where it answered 401 ("your key is not valid"), which a mail server may
 * take as final and drop its events; so do the stats and erasure APIs. A malformed key is still a 401.
 * Once PostgreSQL is back, the same request is accepted.
 */
class IngestKeysUnreadableIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void aKeyTheEdgeCannotCheckIsA503WithRetryAfterUntilItCan() throws Exception {
        try (OwnedPostgres pg = OwnedPostgres.create(); TestDatabase db = TestDatabase.create("127.0.0.1", pg.port())) {
            String writer;
            String reader;
            try (Database admin = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 1)) {
                admin.migrate();
                IngestKeyStore keys = new IngestKeyStore(admin.dataSource());
                writer = keys.create(TestEdge.TENANT, "writer", EnumSet.of(IngestKeyStore.Scope.WRITE)).secret();
                reader = keys.create(TestEdge.TENANT, "reader", EnumSet.of(IngestKeyStore.Scope.READ)).secret();
            }
            pg.stop();
            String body = ndjson(List.of(email("sent", "camp-down", "down-1", UUID.randomUUID())));
            // The Postgres sink on: the erasure API is there only with it.
            try (TestEdge edge = TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_URL", db.jdbcUrl(), "EDGE_DATABASE_USER", "postgres",
                    "EDGE_INGEST_KEY_REFRESH", "200ms", "EDGE_JOBS_ENABLED", "false")) {
                RawHttp.Response down = ingest(edge, writer, body);
                assertEquals(503, down.status(), down.bodyText());
                assertEquals("1", down.header("Retry-After"), down.headers().toString());
                assertTrue(down.bodyText().contains(IngestKeyCache.CANNOT_CHECK), down.bodyText());
                assertEquals(401, ingest(edge, "tek_not-a-key", body).status(), "malformed: nothing to check");

                HttpResponse<String> stats = get(edge, "/v1/stats", reader);
                assertEquals(503, stats.statusCode(), stats.body());
                assertEquals("5", stats.headers().firstValue("Retry-After").orElse(null));
                HttpResponse<String> erasure = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port()
                                + "/v1/erasure")).header("Authorization", "Bearer " + writer)
                        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(503, erasure.statusCode(), erasure.body());

                pg.start();
                Await.until("the writer's key accepted once PostgreSQL is back", Duration.ofSeconds(60),
                        () -> ingest(edge, writer, body).status() == 202);
                assertEquals(200, get(edge, "/v1/stats", reader).statusCode());
            }
        }
    }

    /**
     * Keys loaded before PostgreSQL went away keep working (a revoked one too, until a reload
     * succeeds), and the edge says so: {@code edge_ingest_keys_reload_failing} and the keys' age,
     * which the shipped alert {@code TrackedgeApiKeysStale} reads.
     */
    @Test
    void keysLoadedBeforeAnOutageStayInUseAndTheEdgeSaysHowOld() throws Exception {
        try (OwnedPostgres pg = OwnedPostgres.create(); TestDatabase db = TestDatabase.create("127.0.0.1", pg.port())) {
            String writer;
            try (Database admin = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 1)) {
                admin.migrate();
                writer = new IngestKeyStore(admin.dataSource()).create(TestEdge.TENANT, "writer", EnumSet.of(IngestKeyStore.Scope.WRITE))
                        .secret();
            }
            String body = ndjson(List.of(email("sent", "camp-stale", "stale-1", UUID.randomUUID())));
            try (TestEdge edge = TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_URL", db.jdbcUrl(), "EDGE_DATABASE_USER", "postgres",
                    "EDGE_INGEST_KEY_REFRESH", "200ms", "EDGE_JOBS_ENABLED", "false")) {
                Await.until("the keys loaded", Duration.ofSeconds(30), () -> edge.ingestKeys().loaded());
                assertEquals(0.0, TestEdge.sample(edge.metrics(), "edge_ingest_keys_reload_failing"));
                pg.stop();
                Await.until("a reload failing", Duration.ofSeconds(30),
                        () -> TestEdge.sample(edge.metrics(), "edge_ingest_keys_reload_failing") == 1.0);
                assertEquals(202, ingest(edge, writer, body).status(), "a key loaded before the outage is still accepted");
                double age = TestEdge.sample(edge.metrics(), "edge_ingest_keys_age_seconds");
                Await.until("the keys' age growing", Duration.ofSeconds(30),
                        () -> TestEdge.sample(edge.metrics(), "edge_ingest_keys_age_seconds") > age + 0.5);
                pg.start();
                Await.until("a reload succeeding", Duration.ofSeconds(60),
                        () -> TestEdge.sample(edge.metrics(), "edge_ingest_keys_reload_failing") == 0.0);
                assertTrue(TestEdge.sample(edge.metrics(), "edge_ingest_keys_age_seconds") < 30);
            }
        }
    }

    /**
     * A reload of the keys stuck on the database (here, behind a lock on {@code ingest_keys}) held every
     * request with a key the edge had not loaded, without limit: the client waited as long as its own
     * timeout, holding a connection. The request is answered after {@code MISS_WAIT}, 503 with
     * Retry-After and why, on each API; once the database answers, the key is judged again (401).
     */
    @Test
    void aKeyReloadStuckOnTheDatabaseIsA503AfterItsWait() throws Exception {
        try (TestDatabase db = TestDatabase.create();
             Database admin = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 1)) {
            admin.migrate();
            IngestKeyStore keys = new IngestKeyStore(admin.dataSource());
            String unknown = keys.create(TestEdge.TENANT, "revoked", EnumSet.of(IngestKeyStore.Scope.WRITE, IngestKeyStore.Scope.READ))
                    .secret();
            keys.revoke(IngestKeyFormat.prefixOf(unknown));
            String body = ndjson(List.of(email("sent", "camp-slow", "slow-1", UUID.randomUUID())));
            try (TestEdge edge = TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_URL", db.jdbcUrl(), "EDGE_DATABASE_USER",
                    "postgres", "EDGE_INGEST_KEY_REFRESH", "1h", "EDGE_JOBS_ENABLED", "false");
                 java.sql.Connection locker = java.sql.DriverManager.getConnection(db.jdbcUrl(), "postgres", null)) {
                Await.until("the keys loaded", Duration.ofSeconds(30), () -> edge.ingestKeys().loaded());
                Await.until("an unknown key to be allowed a reload", Duration.ofSeconds(30), () -> edge.ingestKeys().reloadsOnNextMiss());
                locker.setAutoCommit(false);
                try (java.sql.Statement s = locker.createStatement()) {
                    s.execute("LOCK TABLE ingest_keys IN ACCESS EXCLUSIVE MODE");
                }
                long t0 = System.nanoTime();
                RawHttp.Response slow = ingest(edge, unknown, body);
                long waited = (System.nanoTime() - t0) / 1_000_000;
                assertEquals(503, slow.status(), slow.bodyText());
                assertEquals("1", slow.header("Retry-After"), slow.headers().toString());
                assertTrue(slow.bodyText().contains(IngestKeyCache.RELOAD_TOO_SLOW), slow.bodyText());
                assertTrue(waited >= UnknownKeyReloads.MISS_WAIT.toMillis() - 100 && waited < 10_000, "answered after " + waited + " ms");
                HttpResponse<String> stats = get(edge, "/v1/stats", unknown);
                assertEquals(503, stats.statusCode(), stats.body());
                assertEquals("5", stats.headers().firstValue("Retry-After").orElse(null));
                assertTrue(stats.body().contains(IngestKeyCache.RELOAD_TOO_SLOW), stats.body());
                locker.rollback();
                Await.until("the key judged once the database answers", Duration.ofSeconds(30),
                        () -> ingest(edge, unknown, body).status() == 401);
            }
        }
    }

    /** On a connection of its own: a refusal before the body may close the one it came on. */
    private static RawHttp.Response ingest(TestEdge edge, String key, String body) throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            return post(c, key, "application/x-ndjson", body);
        }
    }

    private static HttpResponse<String> get(TestEdge edge, String path, String key) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + path))
                .header("Authorization", "Bearer " + key).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
