package io.trackedge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.ingest.IngestKeyStore;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.EnumSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's login is decided by the keys alone, so the pipeline page (the sinks' lag while
 * PostgreSQL is in trouble) can be reached when no stats query can run; and a URL whose %-escapes do
 * not decode is a 400, not a request left unanswered on a connection never idled out.
 */
class DashboardLoginIT {

    private static TestDatabase testDb;
    private static TestEdge edge;
    private static String everyTenant;
    private static String oneTenant;

    @BeforeAll
    static void start() throws Exception {
        testDb = TestDatabase.create();
        try (Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 1)) {
            db.migrate();
            IngestKeyStore keys = new IngestKeyStore(db.dataSource());
            everyTenant = keys.create(null, "reader of all", EnumSet.of(IngestKeyStore.Scope.READ)).secret();
            oneTenant = keys.create(TestEdge.TENANT, "reader", EnumSet.of(IngestKeyStore.Scope.READ)).secret();
        }
        edge = TestEdge.start("EDGE_DATABASE_URL", testDb.jdbcUrl(), "EDGE_DATABASE_USER", "postgres",
                "EDGE_JOBS_ENABLED", "false", "EDGE_IDLE_TIMEOUT", "1s", "EDGE_INGEST_KEY_REFRESH", "200ms");
        HttpClient http = HttpClient.newHttpClient();
        for (String key : new String[] {everyTenant, oneTenant}) {
            Await.until("the edge to load the key", Duration.ofSeconds(30), () -> http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + edge.port() + "/v1/stats?granularity=total&metrics=sent&tenant=" + TestEdge.TENANT))
                    .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (edge != null) {
            edge.close();
        }
        if (testDb != null) {
            testDb.close();
        }
    }

    /**
     * With every stats query held behind a lock (a database that does not answer), a login is still
     * answered at once and the pipeline page's figures are served. It waited for the stats API's
     * 10 s statement timeout and then refused the login: only a session opened earlier reached the page.
     */
    @Test
    void aLoginNeedsNoQueryAndOpensThePipelinePageWhileQueriesCannotRun() throws Exception {
        try (Connection locker = DriverManager.getConnection(testDb.jdbcUrl(), "postgres", null);
                Statement s = locker.createStatement()) {
            locker.setAutoCommit(false);
            s.execute("LOCK TABLE stats_hourly IN ACCESS EXCLUSIVE MODE");
            try (RawHttp c = new RawHttp(edge.adminPort())) {
                c.timeout(5_000);
                RawHttp.Response r = login(c, everyTenant, TestEdge.TENANT.toString());
                assertEquals(303, r.status(), r.statusLine() + " " + r.bodyText());
                assertEquals("/dashboard", r.headers().get("location"));
                RawHttp.Response figures = c.send("GET /dashboard/pipeline.json HTTP/1.1\r\nHost: a\r\nCookie: te_key="
                        + everyTenant + "; te_tenant=" + TestEdge.TENANT + "\r\n\r\n").read(false);
                assertEquals(200, figures.status(), figures.bodyText());
                assertTrue(figures.bodyText().contains("\"t\""), figures.bodyText());
            } finally {
                locker.rollback();
            }
        }
    }

    /** What the login refuses, it refuses as the API would: an unknown key, another tenant, a tenant that is no UUID. */
    @Test
    void aLoginIsRefusedAsTheApiWouldRefuseItsKey() throws Exception {
        try (RawHttp c = new RawHttp(edge.adminPort())) {
            c.timeout(10_000);
            assertEquals(401, login(c, "nonsense", "").status());
            RawHttp.Response other = login(c, oneTenant, "6f1c7c2a-9a5e-4c1b-8d2f-2b0c5a1e9d33");
            assertEquals(401, other.status(), "the login page again, saying why");
            assertTrue(other.bodyText().contains("may not read tenant"), other.bodyText());
            RawHttp.Response noUuid = login(c, oneTenant, "acme");
            assertTrue(noUuid.bodyText().contains("not a UUID"), noUuid.bodyText());
            RawHttp.Response unnamed = login(c, everyTenant, "");
            assertTrue(unnamed.bodyText().contains("name one with tenant"), unnamed.bodyText());
            assertEquals(303, login(c, oneTenant, "").status(), "a key of one tenant reads its own");
        }
    }

    /**
     * README: a key of one tenant gets 403 on the live pipeline page (the whole node's), with a page saying
     * so. It got the login page with 401, as if the session had ended, while pipeline.json said 403.
     */
    @Test
    void thePipelinePageIsA403ForAKeyOfOneTenant() throws Exception {
        try (RawHttp c = new RawHttp(edge.adminPort())) {
            c.timeout(10_000);
            assertEquals(303, login(c, oneTenant, "").status());
            RawHttp.Response page = c.send("GET /dashboard/pipeline HTTP/1.1\r\nHost: a\r\nCookie: te_key=" + oneTenant
                    + "; te_tenant=\r\n\r\n").read(false);
            assertEquals(403, page.status(), page.bodyText());
            assertTrue(page.bodyText().contains("this key reads one tenant"), page.bodyText());
            assertTrue(!page.bodyText().contains("name=\"key\""), "not the login form: the session is still open");
            RawHttp.Response figures = c.send("GET /dashboard/pipeline.json HTTP/1.1\r\nHost: a\r\nCookie: te_key=" + oneTenant
                    + "\r\n\r\n").read(false);
            assertEquals(403, figures.status(), figures.bodyText());
        }
    }

    /**
     * A bad %-escape in a dashboard path or query is a 400. It threw on the admin loop before the page was
     * counted as answered, so no answer came and the idle timeout spared the connection for ever.
     */
    @Test
    void aBadEscapeIsA400AndTheConnectionIsStillIdledOut() throws Exception {
        for (String path : new String[] {"/dashboard/%zz", "/static/%zz", "/dashboard?range=%zz"}) {
            try (RawHttp c = new RawHttp(edge.adminPort())) {
                c.timeout(5_000);
                RawHttp.Response r = c.send("GET " + path + " HTTP/1.1\r\nHost: a\r\nCookie: te_key=" + oneTenant + "\r\n\r\n")
                        .read(false);
                assertEquals(400, r.status(), path + ": " + r.bodyText());
                assertTrue(c.closedByServer(), path + ": closed once idle (1 s)");
            }
        }
    }

    private static RawHttp.Response login(RawHttp c, String key, String tenant) throws Exception {
        String form = "key=" + URLEncoder.encode(key, StandardCharsets.UTF_8) + "&tenant=" + URLEncoder.encode(tenant, StandardCharsets.UTF_8);
        return c.send("POST /dashboard/login HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                + "Content-Length: " + form.length() + "\r\n\r\n" + form).read(false);
    }
}
