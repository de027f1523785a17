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

    /** A migrated database's read key for the test tenant. */
    private static String readKey(TestDatabase db) throws Exception {
        try (Database admin = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 1)) {
            admin.migrate();
            return new IngestKeyStore(admin.dataSource()).create(TestEdge.TENANT, "reader", EnumSet.of(IngestKeyStore.Scope.READ)).secret();
        }
    }

    /** A read key of another tenant than {@link #readKey}'s, in the migrated {@code db}. */
    private static String otherReader(TestDatabase db) throws Exception {
        try (Database admin = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 1)) {
            return new IngestKeyStore(admin.dataSource()).create(java.util.UUID.fromString("0f8fad5b-d9cb-469f-a165-70867728950f"),
                    "other reader", EnumSet.of(IngestKeyStore.Scope.READ)).secret();
        }
    }

    /** An edge on {@code db}, its jobs off, reloading keys quickly; {@code more}: further settings. */
    private static TestEdge edge(TestDatabase db, String... more) throws Exception {
        java.util.List<String> env = new java.util.ArrayList<>(java.util.List.of("EDGE_DATABASE_URL", db.jdbcUrl(),
                "EDGE_DATABASE_USER", "postgres", "EDGE_INGEST_KEY_REFRESH", "200ms", "EDGE_JOBS_ENABLED", "false"));
        env.addAll(java.util.List.of(more));
        return TestEdge.start(env.toArray(String[]::new));
    }

    /** A stats request with {@code key}, once the edge answers it. */
    private static String knownRequest(TestEdge edge, String key) {
        String request = "GET /v1/stats?from=2026-11-01&to=2026-11-02 HTTP/1.1\r\nHost: t.example\r\n"
                + "Authorization: Bearer " + key + "\r\n\r\n";
        Await.until("the edge to know the key", Duration.ofSeconds(30), () -> {
            try (RawHttp c = new RawHttp(edge.port())) {
                return c.send(request).read(false).status() == 200;
            }
        });
        return request;
    }

    @Test
    void aQueryLongerThanTheIdleTimeoutIsStillAnswered() throws Exception {
        try (TestDatabase db = TestDatabase.create()) {
            String key = readKey(db);
            try (TestEdge edge = edge(db, "EDGE_IDLE_TIMEOUT", "1s"); Connection locker = db.connect()) {
                String request = knownRequest(edge, key);
                // The answers above reach the client before their worker is back for the next task: one still
                // on its way back would leave 33 places to a burst, and 7 refused.
                Await.until("the stats workers idle", Duration.ofSeconds(10),
                        () -> TestEdge.sample(edge.metrics(), "edge_stats_queries_running") == 0
                                && TestEdge.sample(edge.metrics(), "edge_stats_requests_waiting") == 0);
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

    /**
     * A stop that begins while a stats query runs (here during {@code shutdown-drain-delay}): its answer says
     * Connection: close, as every answer of a stopping edge does. Before, it said keep-alive, and the client's
     * next request on the connection was never read.
     */
    @Test
    void aStatsAnswerGivenAsTheEdgeStopsClosesItsConnection() throws Exception {
        try (TestDatabase db = TestDatabase.create()) {
            String key = readKey(db);
            try (TestEdge edge = edge(db, "EDGE_SHUTDOWN_DRAIN_DELAY", "3s"); Connection locker = db.connect()) {
                String request = knownRequest(edge, key);
                locker.setAutoCommit(false);
                try (Statement s = locker.createStatement()) {
                    s.execute("LOCK TABLE " + TABLES + " IN ACCESS EXCLUSIVE MODE");
                }
                Thread stop = new Thread(() -> {
                    try {
                        edge.stop();
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                try (RawHttp c = new RawHttp(edge.port())) {
                    c.send(request);
                    Await.until("the query waits on the lock", Duration.ofSeconds(30),
                            () -> db.count("SELECT count(*) FROM pg_locks WHERE NOT granted"
                                    + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())") > 0);
                    stop.start();
                    Await.until("/readyz fails: the stop began", Duration.ofSeconds(10), () -> edge.admin("/readyz").contains("shutting down"));
                    locker.commit();
                    RawHttp.Response r = c.read(false);
                    assertEquals(200, r.status(), r.bodyText());
                    assertEquals("close", r.header("connection"));
                } finally {
                    stop.join(30_000);
                }
            }
        }
    }

    /**
     * A backend that stops answering mid-query (SIGSTOP: what a hung server, or a network that drops
     * everything, looks like from the edge) never sends its statement timeout's error. The socket's
     * timeout, 5 s past the statement's, gives the read up with a 503 (before, the JDBC driver's 60 s
     * held the worker, one of the two that serve every cluster), and the cluster is not asked again
     * for a moment: the next read is refused at once rather than given a connection that may hang too.
     */
    @Test
    void aHungBackendIsGivenUpAndItsClusterRestsAMoment() throws Exception {
        try (TestDatabase db = TestDatabase.create()) {
            String key = readKey(db);
            try (TestEdge edge = edge(db); Connection locker = db.connect()) {
                String request = knownRequest(edge, key);
                locker.setAutoCommit(false);
                try (Statement s = locker.createStatement()) {
                    s.execute("LOCK TABLE " + TABLES + " IN ACCESS EXCLUSIVE MODE");
                }
                String pid = null;
                try (RawHttp c = new RawHttp(edge.port())) {
                    c.timeout(45_000); // under the driver's former 60 s: a read it held that long fails here
                    c.send(request);
                    pid = Await.until("the stats query waiting on the lock", Duration.ofSeconds(30),
                            () -> db.rows("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"),
                            rows -> rows.size() == 1).get(0);
                    signal("STOP", pid);
                    RawHttp.Response r = c.read(false);
                    assertEquals(503, r.status(), r.bodyText());
                    assertTrue(r.bodyText().contains("the database is unreachable"), r.bodyText());
                    RawHttp.Response next = c.send(request).read(false);
                    assertEquals(503, next.status(), next.bodyText());
                    assertTrue(next.bodyText().contains("the database is unreachable"), next.bodyText());
                } finally {
                    if (pid != null) {
                        signal("CONT", pid);
                    }
                    locker.rollback();
                }
                Await.until("answered again once the cluster's moment has passed", Duration.ofSeconds(30), () -> {
                    try (RawHttp c = new RawHttp(edge.port())) {
                        return c.send(request).read(false).status() == 200;
                    }
                });
            }
        }
    }

    private static void signal(String name, String pid) throws Exception {
        Process p = new ProcessBuilder("kill", "-" + name, pid).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), "kill -" + name + " " + pid + ": " + out);
    }

    /**
     * With its 2 workers held and its 32 places taken, the stats API answers any further request 503 with
     * {@code Retry-After: 1} at once (the README's promise, untested before), and every request it took
     * is answered once the workers are free. One reader (a tenant) takes half the places at most: another
     * tenant's requests still find theirs (before, one tenant's parallel slow queries had every other
     * tenant, and the dashboard, answered 503). A HEAD request gets a GET's headers and no body.
     */
    @Test
    void aBusyApiAnswers503AtOnceAndEveryRequestItTookIsAnswered() throws Exception {
        try (TestDatabase db = TestDatabase.create()) {
            String key = readKey(db);
            try (TestEdge edge = edge(db); Connection locker = db.connect()) {
                String request = knownRequest(edge, key);
                try (RawHttp c = new RawHttp(edge.port())) {
                    RawHttp.Response get = c.send(request).read(false);
                    RawHttp.Response head = c.send(request.replaceFirst("GET", "HEAD")).read(true);
                    assertEquals(200, head.status());
                    assertEquals(get.header("Content-Length"), head.header("Content-Length"));
                    assertTrue(Integer.parseInt(head.header("Content-Length")) > 0);
                    assertEquals(0, head.body().length, "no body");
                }

                // The answers above reach the client before their worker is back for the next task: one still
                // on its way back would leave 33 places to a burst, and 7 refused.
                Await.until("the stats workers idle", Duration.ofSeconds(10),
                        () -> TestEdge.sample(edge.metrics(), "edge_stats_queries_running") == 0
                                && TestEdge.sample(edge.metrics(), "edge_stats_requests_waiting") == 0);
                locker.setAutoCommit(false);
                try (Statement s = locker.createStatement()) {
                    s.execute("LOCK TABLE " + TABLES + " IN ACCESS EXCLUSIVE MODE");
                }
                java.util.List<RawHttp> taken = new java.util.ArrayList<>();
                java.util.List<RawHttp> others = new java.util.ArrayList<>();
                String otherRequest = request.replace(key, otherReader(db));
                try {
                    // 2 workers and 32 places, half of them one reader's at most: of 30 requests of one tenant 17 are
                    // taken, and another tenant's 20 still find their 17 places; the 16 refused are refused at once
                    for (int i = 0; i < 30; i++) {
                        taken.add(new RawHttp(edge.port()).send(request));
                    }
                    for (int i = 0; i < 20; i++) {
                        others.add(new RawHttp(edge.port()).send(otherRequest));
                    }
                    // At least 16: on a loaded machine the 10 s statement timeout may answer a held query 503 first.
                    Await.until("sixteen answered busy while the others wait", Duration.ofSeconds(30),
                            () -> TestEdge.sample(edge.metrics(), "edge_http_requests_total{route=\"stats\",status=\"503\"}") >= 16);
                    assertEquals(2, TestEdge.sample(edge.metrics(), "edge_stats_queries_running"), "both workers held by the lock");
                    locker.commit();
                    int[] busy = {0, 0};
                    int[] answered = {0, 0};
                    for (int who = 0; who < 2; who++) {
                        for (RawHttp c : who == 0 ? taken : others) {
                            RawHttp.Response r = c.read(false);
                            if (r.status() == 503 && r.bodyText().contains("the stats API is busy")) {
                                assertEquals("1", r.header("Retry-After"), r.bodyText());
                                busy[who]++;
                            } else if (r.status() == 503) { // a query the lock held past the statement timeout: answered too
                                assertTrue(r.bodyText().contains("statement timeout"), r.bodyText());
                                answered[who]++;
                            } else {
                                assertEquals(200, r.status(), r.bodyText());
                                answered[who]++;
                            }
                        }
                    }
                    assertEquals(13, busy[0], "one tenant: 17 of its 30 taken, each answered");
                    assertEquals(17, answered[1], "the other tenant still had its 17 places: " + busy[1] + " refused");
                    assertEquals(3, busy[1]);
                } finally {
                    for (RawHttp c : taken) {
                        c.close();
                    }
                    for (RawHttp c : others) {
                        c.close();
                    }
                }
            }
        }
    }
}
