package io.trackedge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trackedge.config.ConfigLoader;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.OwnedPostgres;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import io.trackedge.token.TokenSigner;
import io.trackedge.token.TrackingUrls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL down when the edge starts: the edge serves and journals, reports the sink down
 * ({@code edge_sink_up{sink="postgres"} 0}, a degraded {@code /readyz} check naming the error),
 * retries with backoff, and once the server is up writes every event journaled meanwhile. For the
 * local database (no url; as root, a server the test owns) the retry also starts the local database,
 * which the edge once gave up on at start until a restart, with no sink series at all; for a
 * configured url the sink always retried.
 */
class DatabaseDownAtStartIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String UP = "edge_sink_up{sink=\"postgres\"}";
    private static final int EVENTS = 50;

    @TempDir
    Path tmp;

    @Test
    void aLocalDatabaseDownAtStartIsReportedDown() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "as root the local database is a server at an address");
        try (OwnedPostgres pg = OwnedPostgres.create()) {
            pg.stop();
            downAtStart(pg, localEnvironment(), "trackedge", "127.0.0.1:" + pg.port(), false);
        }
    }

    /** A new server: the retry also makes the trackedge database, which the edge's start could not. */
    @Test
    void aLocalDatabaseDownAtStartIsStartedWhenItComesBack() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "as root the local database is a server at an address");
        try (OwnedPostgres pg = OwnedPostgres.create()) {
            pg.stop();
            downAtStart(pg, localEnvironment(), "trackedge", "127.0.0.1:" + pg.port(), true);
        }
    }

    @Test
    void aConfiguredDatabaseDownAtStartIsReportedDownAndWrittenWhenItComesBack() throws Exception {
        try (OwnedPostgres pg = OwnedPostgres.create()) {
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pg.port() + "/postgres", "postgres", null);
                 Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE edge");
            }
            pg.stop();
            Map<String, String> env = environment();
            env.put("EDGE_DATABASE_URL", "jdbc:postgresql://127.0.0.1:" + pg.port() + "/edge");
            env.put("EDGE_DATABASE_USER", "postgres");
            downAtStart(pg, env, "edge", "127.0.0.1:" + pg.port(), true);
        }
    }

    /** @param comesBack start the server again, and see every event journaled meanwhile written */
    private void downAtStart(OwnedPostgres pg, Map<String, String> env, String database, String error, boolean comesBack)
            throws Exception {
        try (EdgeApp edge = EdgeApp.start(ConfigLoader.load(null, env), TestEdge.KEYS, new InetSocketAddress("127.0.0.1", pg.port()))) {
            Await.until("the sink to report its database down", Duration.ofSeconds(60),
                    () -> TestEdge.sample(admin(edge, "/metrics"), UP), up -> up == 0.0);
            JsonNode check = Await.until("a degraded /readyz check", Duration.ofSeconds(60),
                    () -> JSON.readTree(admin(edge, "/readyz")).path("checks").path("postgres-sink"),
                    c -> c.path("degraded").asBoolean(false));
            assertTrue(check.toString().contains(error), check.toString());
            assertEquals(0.0, TestEdge.sample(admin(edge, "/metrics"), "edge_sink_postgres_up"), "the older name too");

            TrackingUrls urls = new TrackingUrls("http://t.example", new TokenSigner(TestEdge.KEYS));
            try (RawHttp c = new RawHttp(edge.port())) {
                for (int i = 0; i < EVENTS; i++) {
                    String path = urls.pixel(TestEdge.fields("down-" + i)).substring("http://t.example".length());
                    assertEquals(200, c.get(path).status(), "the edge serves while its database is down");
                }
            }
            assertEquals(0.0, TestEdge.sample(admin(edge, "/metrics"), UP));
            if (!comesBack) {
                return;
            }

            pg.start();
            Await.until("the sink to reach its database and catch up", Duration.ofSeconds(90), () -> {
                String m = admin(edge, "/metrics");
                return TestEdge.sample(m, UP) == 1.0 && TestEdge.sample(m, "edge_sink_lag_events{sink=\"postgres\"}") == 0.0;
            });
            assertEquals(EVENTS, count(pg, database, "SELECT count(DISTINCT email_id) FROM email_events WHERE email_id LIKE 'down-%'"),
                    "every event journaled while the database was down is written");
            assertEquals(EVENTS, count(pg, database, "SELECT count(*) FROM email_events"), "none twice");
            JsonNode after = JSON.readTree(admin(edge, "/readyz")).path("checks").path("postgres-sink");
            assertTrue(!after.path("degraded").asBoolean(false), after.toString());
        }
    }

    private Map<String, String> localEnvironment() {
        Map<String, String> env = environment();
        env.put("EDGE_DATABASE_LOCAL", "true"); // no url: the local database, on purpose
        return env;
    }

    private Map<String, String> environment() {
        Map<String, String> env = new HashMap<>();
        env.put("EDGE_PORT", "0");
        env.put("EDGE_ADMIN_PORT", "0");
        env.put("EDGE_BIND", "127.0.0.1");
        env.put("EDGE_DATA_DIR", tmp.resolve("data").toString());
        env.put("EDGE_PROFILE", "production");
        env.put("EDGE_SIGNING_KEYS", TestEdge.KEYS.signingKey().format());
        env.put("EDGE_SHUTDOWN_GRACE", "5s");
        env.put("EDGE_POSTGRES_SINK", "true");
        env.put("EDGE_SINK_MAX_BACKOFF", "1s");
        env.put("EDGE_JOBS_ENABLED", "false");
        return env;
    }

    private static String admin(EdgeApp edge, String path) throws IOException {
        try (RawHttp admin = new RawHttp(edge.adminPort())) {
            admin.send("GET " + path + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            return admin.read(false).bodyText();
        }
    }

    private static long count(OwnedPostgres pg, String database, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pg.port() + "/" + database, "postgres", null);
             Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }
}
