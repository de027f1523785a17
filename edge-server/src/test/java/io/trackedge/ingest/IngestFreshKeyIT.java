package io.trackedge.ingest;

import static io.trackedge.ingest.IngestClient.email;
import static io.trackedge.ingest.IngestClient.postNdjson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.Await;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 16: a key made by {@code keys create} works on its very first request, though the edge's
 * periodic reload is an hour away: an unknown key is answered after a reload of the keys that began
 * after it arrived (at most one a second), even right after another unknown key's request. Unknown
 * keys still get 401.
 */
class IngestFreshKeyIT {

    private TestDatabase db;
    private Database admin;
    private IngestKeyStore store;
    private TestEdge edge;

    /** An edge whose periodic reload of the keys is an hour away, and a store to make keys with. */
    @BeforeEach
    void start() throws Exception {
        db = TestDatabase.create();
        admin = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 1);
        admin.migrate();
        store = new IngestKeyStore(admin.dataSource());
        edge = TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_URL", db.jdbcUrl(),
                "EDGE_DATABASE_USER", "postgres", "EDGE_INGEST_KEY_REFRESH", "1h", "EDGE_JOBS_ENABLED", "false");
    }

    @AfterEach
    void stop() throws Exception {
        try (TestDatabase d = db; Database a = admin; TestEdge e = edge) {
            // closed in reverse: the edge, then the admin pool, then the database
        }
    }

    @Test
    void aKeyCreatedWhileTheEdgeRunsIsAcceptedOnItsFirstRequest() throws Exception {
        // A well-formed key no edge accepts (revoked at once).
        String unknown = store.create(null, "revoked").secret();
        store.revoke(store.list().get(0).prefix());
        // Its 401 comes after a reload: from here on, the keys the edge holds predate every key below.
        try (RawHttp c = new RawHttp(edge.port())) {
            assertEquals(401, postNdjson(c, unknown, List.of(email("sent", "fresh", "x", null))).status());
        }
        for (int round = 0; round < 3; round++) {
            // An unknown key's request starts or joins a reload; a key made right after it must not be
            // refused for that reload (it read the table before the key was made) nor for the one
            // reload a second: its own request waits for the next reload.
            try (RawHttp c = new RawHttp(edge.port())) {
                assertEquals(401, postNdjson(c, unknown, List.of(email("sent", "fresh", "x", null))).status());
            }
            String key = store.create(null, "fresh " + round).secret();
            try (RawHttp c = new RawHttp(edge.port())) {
                RawHttp.Response r = postNdjson(c, key, List.of(email("sent", "fresh", "fresh-" + round, UUID.randomUUID())));
                assertEquals(202, r.status(), "round " + round + ": " + r.bodyText());
            }
        }
    }

    /**
     * The stats and erasure APIs authenticate with the same keys, and a fresh key works on their
     * first request too (they used to answer 401 until the next periodic reload, and so also in the
     * first second after start, while the keys' first load ran).
     */
    @Test
    void aKeyCreatedWhileTheEdgeRunsReadsStatsAndErasesOnItsFirstRequest() throws Exception {
        UUID tenant = UUID.randomUUID();
        awaitReloadOnNextMiss(edge);
        String reader = store.create(tenant, "fresh reader", EnumSet.of(IngestKeyStore.Scope.READ)).secret();
        HttpResponse<String> stats = send(edge, "GET", "/v1/stats?granularity=total&metrics=opens&format=csv", reader);
        assertEquals(200, stats.statusCode(), stats.body());
        try (RawHttp c = new RawHttp(edge.port())) { // a URL no client library would send
            c.send("GET /v1/stats?metrics=%zz HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + reader + "\r\n\r\n");
            RawHttp.Response bad = c.read(false);
            assertEquals(400, bad.status(), bad.bodyText());
            assertTrue(bad.bodyText().contains("cannot be decoded"), bad.bodyText());
        }

        awaitReloadOnNextMiss(edge);
        String writer = store.create(tenant, "fresh eraser", EnumSet.of(IngestKeyStore.Scope.WRITE)).secret();
        HttpResponse<String> erased = send(edge, "POST", "/v1/erasure?tenant=" + tenant + "&email_id=nobody", writer);
        assertEquals(200, erased.statusCode(), erased.body());

        String wrongSecret = reader.substring(0, reader.length() - 1) + (reader.endsWith("A") ? "B" : "A");
        assertEquals(401, send(edge, "GET", "/v1/stats?granularity=total&metrics=opens", wrongSecret).statusCode(),
                "a known key's prefix with another secret is still refused");
        assertEquals(401, send(edge, "POST", "/v1/erasure?tenant=" + tenant + "&email_id=nobody", wrongSecret).statusCode());

        // a read key on the write APIs is known, only not allowed: 403 saying why, not 401 "not valid"
        for (String path : List.of("/v1/erasure?tenant=" + tenant + "&email_id=nobody", "/v1/events")) {
            HttpResponse<String> r = send(edge, "POST", path, reader);
            assertEquals(403, r.statusCode(), path + ": " + r.body());
            assertTrue(r.body().contains("has no write scope"), r.body());
        }
    }

    private static HttpResponse<String> send(TestEdge edge, String method, String path, String key) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + path))
                .header("Authorization", "Bearer " + key).method(method, HttpRequest.BodyPublishers.noBody()).build();
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(r, HttpResponse.BodyHandlers.ofString());
        }
    }

    private static void awaitReloadOnNextMiss(TestEdge edge) {
        Await.until("an unknown key to be allowed a reload", Duration.ofSeconds(30), () -> edge.ingestKeys().reloadsOnNextMiss());
    }
}
