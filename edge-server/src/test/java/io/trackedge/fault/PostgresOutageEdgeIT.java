package io.trackedge.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.FaultReport;
import io.trackedge.sink.testing.OwnedPostgres;
import io.trackedge.sink.testing.Recount;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.RawHttp;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real jar writing to a PostgreSQL the test owns; PostgreSQL stopped for 60 s under pixel load
 * and started again. Pixel latency before and during the outage, the time to catch up after it,
 * and every acknowledged event in the database once.
 */
class PostgresOutageEdgeIT {

    private static final long OUTAGE_MILLIS = 60_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void sixtySecondOutageDoesNotSlowPixelsAndLosesNothing() throws Exception {
        try (OwnedPostgres pg = OwnedPostgres.create(); TestDatabase db = TestDatabase.create("127.0.0.1", pg.port())) {
            Map<String, String> env = Map.of("EDGE_ACK", "journal", "EDGE_POSTGRES_SINK", "true",
                    "EDGE_DATABASE_URL", db.jdbcUrl(), "EDGE_DATABASE_USER", "postgres", "EDGE_SINK_MAX_BACKOFF", "1s");
            List<Long> before = new ArrayList<>();
            List<Long> during = new ArrayList<>();
            Set<String> acked = new HashSet<>();
            int sent = 0;
            long catchUpMillis;
            try (EdgeProcess edge = EdgeProcess.start(tmp.resolve("data"), env)) {
                Await.until("the Postgres sink to connect", Duration.ofSeconds(60), () -> edge.metric("edge_sink_postgres_up") == 1);
                List<PixelLoad.Target> targets = edge.pixelTargets("outage", 40_000);
                try (RawHttp c = new RawHttp(edge.port())) {
                    long phaseStart = System.currentTimeMillis();
                    boolean stopped = false;
                    long stoppedAt = 0;
                    for (PixelLoad.Target t : targets) {
                        long now = System.currentTimeMillis();
                        if (!stopped && now - phaseStart > 5_000) {
                            pg.stop();
                            stopped = true;
                            stoppedAt = System.currentTimeMillis();
                        }
                        if (stopped && System.currentTimeMillis() - stoppedAt > OUTAGE_MILLIS) {
                            break;
                        }
                        long t0 = System.nanoTime();
                        RawHttp.Response r = c.get(t.path());
                        long micros = (System.nanoTime() - t0) / 1000;
                        sent++;
                        if (r.status() == 200) {
                            acked.add(t.id());
                        }
                        (stopped ? during : before).add(micros);
                        Thread.sleep(2); // the load's pace, not a wait
                    }
                }
                assertTrue(edge.metric("edge_sink_postgres_up") == 0, "the sink saw the outage");
                var outage = edge.admin("/readyz");
                assertEquals(200, outage.statusCode(), "an outage does not fail readiness");
                JsonNode sinkCheck = JSON.readTree(outage.body()).path("checks").path("postgres-sink");
                assertTrue(sinkCheck.path("degraded").asBoolean(false), "the sink says degraded in /readyz: " + outage.body());
                pg.start();
                long restarted = System.nanoTime();
                Await.until("the sink to reconnect and catch up after the outage", Duration.ofSeconds(120),
                        () -> edge.metric("edge_sink_postgres_up") == 1
                                && edge.metric("edge_sink_postgres_committed_position_bytes") >= edge.metric("edge_journal_position_bytes"));
                catchUpMillis = (System.nanoTime() - restarted) / 1_000_000;
                assertEquals(edge.metric("edge_journal_position_bytes"), edge.metric("edge_sink_postgres_committed_position_bytes"));
                var after = edge.admin("/readyz").body();
                assertFalse(JSON.readTree(after).path("checks").path("postgres-sink").has("degraded"), after);
                edge.terminate();
                assertEquals(0, edge.awaitExit(Duration.ofSeconds(30)));
            }
            long rows = db.count("SELECT count(*) FROM email_events");
            long distinct = db.count("SELECT count(DISTINCT email_id) FROM email_events");
            String latency = String.format(Locale.ROOT, "pixel p50/p99 %s/%s µs before, %s/%s µs during; ",
                    pct(before, 50), pct(before, 99), pct(during, 50), pct(during, 99));
            FaultReport.record("postgres-stopped-60s-edge", "PostgreSQL stopped for 60 s under pixel load on the real jar",
                    sent, acked.size(), rows, rows - distinct, Math.max(0, acked.size() - distinct),
                    latency + catchUpMillis + " ms to catch up after the restart");
            System.out.println("PostgresOutageEdgeIT: " + latency + catchUpMillis + " ms catch-up, " + sent + " sent, " + rows + " rows");
            assertEquals(acked.size(), distinct, "every acknowledged event is in the database");
            assertEquals(rows, distinct, "none twice");
            List<List<String>> daily = Recount.compare(db);
            assertEquals(daily.get(1), daily.get(0));
        }
    }

    private static long pct(List<Long> xs, int p) {
        if (xs.isEmpty()) {
            return 0;
        }
        List<Long> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(Math.min(s.size() - 1, (int) Math.ceil(p / 100.0 * s.size()) - 1));
    }
}
