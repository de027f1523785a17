package io.trackedge.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.Recount;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL the real edge while it serves pixels and writes them to PostgreSQL, start it again on
 * the same data folder: every acknowledged event ends up in {@code email_events} exactly once, and
 * the daily counters still match a recount.
 */
class KillRestartPostgresIT {

    private static final int TOTAL = 60_000;
    /** Requests a second: the load lasts 15 s, so the kill lands in it once the sink has written (unpaced, a fast machine finished first). */
    private static final int PACE = 4_000;

    @TempDir
    Path tmp;

    /** Rows in email_events, or 0 while the edge has not yet created the table. */
    private static long rowsSoFar(TestDatabase db) throws java.sql.SQLException {
        try {
            return db.count("SELECT count(*) FROM email_events");
        } catch (java.sql.SQLException e) {
            if ("42P01".equals(e.getSQLState())) { // undefined_table: not migrated yet
                return 0;
            }
            throw e;
        }
    }

    @Test
    void everyAcknowledgedEventIsInPostgresOnceAfterAKillAndARestart() throws Exception {
        Path data = tmp.resolve("data");
        try (TestDatabase db = TestDatabase.create()) {
            Map<String, String> env = Map.of("EDGE_ACK", "journal", "EDGE_POSTGRES_SINK", "true",
                    "EDGE_DATABASE_URL", db.jdbcUrl(), "EDGE_DATABASE_USER", "postgres", "EDGE_SINK_BATCH_SIZE", "500");
            PixelLoad load;
            try (EdgeProcess edge = EdgeProcess.start(data, env)) {
                // Load starts once the sink has migrated the schema and connected, so it writes during the load.
                Await.until("the Postgres sink to connect", Duration.ofSeconds(60), () -> edge.metric("edge_sink_postgres_up") == 1);
                load = new PixelLoad(edge.host(), edge.port(), edge.pixelTargets("pgkill", TOTAL), TOTAL / 4)
                        .paced(PACE).start(8);
                assertTrue(load.awaitAcked(Duration.ofMinutes(3)), "load did not get going: " + load);
                // kill while the sink is writing, not before it started
                Await.until("1000 rows written before the kill", Duration.ofSeconds(60), () -> rowsSoFar(db) >= 1000);
                edge.kill();
                assertTrue(load.awaitDone(Duration.ofMinutes(1)));
            }
            long rowsAtKill = db.count("SELECT count(*) FROM email_events");
            Set<String> acked = load.acked();
            assertTrue(rowsAtKill > 0 && load.sent().size() < TOTAL, "killed in the middle of load and writes: " + load);

            long restartedAt = System.nanoTime();
            long caughtUpMillis;
            try (EdgeProcess edge = EdgeProcess.start(data, env)) {
                Await.until("the restarted sink to reconnect and catch up with the journal", Duration.ofSeconds(60),
                        () -> edge.metric("edge_sink_postgres_up") == 1
                                && edge.metric("edge_sink_postgres_committed_position_bytes") >= edge.metric("edge_journal_position_bytes"));
                assertEquals(edge.metric("edge_journal_position_bytes"), edge.metric("edge_sink_postgres_committed_position_bytes"),
                        "the restarted sink caught up with the journal");
                caughtUpMillis = (System.nanoTime() - restartedAt) / 1_000_000;
                edge.terminate();
                assertEquals(0, edge.awaitExit(Duration.ofSeconds(30)));
            }

            Map<String, Long> rows = new HashMap<>();
            for (String r : db.rows("SELECT email_id, count(*) FROM email_events GROUP BY email_id")) {
                String[] p = r.split("\\|");
                rows.put(p[0], Long.parseLong(p[1]));
            }
            List<String> missing = new ArrayList<>();
            for (String id : acked) {
                if (!rows.containsKey(id)) {
                    missing.add(id);
                }
            }
            long duplicated = rows.values().stream().filter(n -> n > 1).count();
            System.out.printf("KillRestartPostgresIT: %d sent, %d acknowledged, %d rows at the kill, %d rows after the restart, "
                    + "%d acknowledged missing, %d duplicated%n", load.sent().size(), acked.size(), rowsAtKill,
                    db.count("SELECT count(*) FROM email_events"), missing.size(), duplicated);
            io.trackedge.sink.testing.FaultReport.record("kill-9-during-postgres-writes",
                    "SIGKILL of the jar under pixel load while the sink writes to PostgreSQL; restart",
                    load.sent().size(), acked.size(), db.count("SELECT count(*) FROM email_events"), duplicated, missing.size(),
                    caughtUpMillis + " ms from restart to caught up (incl. JVM start)");
            assertEquals(List.of(), missing.subList(0, Math.min(20, missing.size())), missing.size() + " acknowledged events missing");
            assertEquals(0, duplicated, "no event twice");
            Set<String> sent = load.sent(); // a copy: take it once, not per row
            for (String id : rows.keySet()) {
                assertTrue(sent.contains(id), id + " in the database but never sent");
            }
            List<List<String>> daily = Recount.compare(db);
            assertEquals(daily.get(1), daily.get(0));
        }
    }
}
