package io.trackedge.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.TenantRouting;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.OwnedPostgres;
import io.trackedge.sink.testing.Recount;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tenants over two PostgreSQL clusters, each its own server. Under pixel load: SIGKILL of cluster
 * b's server while the sink writes to it (cluster a's sink goes on writing), then SIGKILL of the edge
 * itself; restart both. Every acknowledged event is in its tenant's cluster exactly once, in no other,
 * and each cluster's daily counters match a recount.
 */
class KillDuringTwoClustersIT {

    // More than the test ever sends: the edge is killed while the load is still running, so both
    // sinks are behind the acknowledgements however long the steps before the kill take.
    private static final int TOTAL = 300_000;
    private static final int ACKED_BEFORE_KILLS = 10_000;

    @TempDir
    Path tmp;

    @Test
    void everyAcknowledgedEventIsOnceInItsClusterAfterKillingOneClusterAndTheEdge() throws Exception {
        // Three tenants on each cluster, so that each sink has half of the events to write.
        TenantRouting routing = TenantRouting.of(List.of("a", "b"), Map.of());
        List<UUID> tenants = new ArrayList<>();
        int onA = 0;
        for (int i = 0; tenants.size() < 6; i++) {
            UUID t = new UUID(0x2222_0000_0000_4000L + i, 0x8000_0000_0000_0000L + 31L * i);
            boolean a = routing.clusterOf(t).equals("a");
            if (a ? onA < 3 : tenants.size() - onA < 3) {
                tenants.add(t);
                onA += a ? 1 : 0;
            }
        }
        Path data = tmp.resolve("data");
        try (OwnedPostgres pgA = OwnedPostgres.create(); OwnedPostgres pgB = OwnedPostgres.create();
             TestDatabase a = TestDatabase.create("127.0.0.1", pgA.port());
             TestDatabase b = TestDatabase.create("127.0.0.1", pgB.port())) {
            Map<String, String> env = Map.of("EDGE_ACK", "journal", "EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_USER", "postgres",
                    "EDGE_DATABASE_CLUSTERS", "a=" + a.jdbcUrl() + ",b=" + b.jdbcUrl(), "EDGE_SINK_BATCH_SIZE", "500",
                    "EDGE_JOBS_ENABLED", "false");
            PixelLoad load;
            Map<String, UUID> tenantOf = new HashMap<>();
            long aAtClusterKill;
            long bAtClusterKill;
            long aAtEdgeKill;
            try (EdgeProcess edge = EdgeProcess.start(data, env)) {
                Await.until("both sinks connect", Duration.ofSeconds(90),
                        () -> edge.metric("edge_sink_postgres_a_up") == 1 && edge.metric("edge_sink_postgres_b_up") == 1);
                List<PixelLoad.Target> targets = edge.pixelTargets("two", TOTAL, tenants);
                for (int i = 0; i < targets.size(); i++) {
                    tenantOf.put(targets.get(i).id(), tenants.get(i % tenants.size()));
                }
                load = new PixelLoad(edge.host(), edge.port(), targets, ACKED_BEFORE_KILLS).start(8);
                assertTrue(load.awaitAcked(Duration.ofMinutes(3)), "load did not get going: " + load);
                Await.until("1000 rows in cluster b before its kill", Duration.ofSeconds(60), () -> rowsSoFar(b) >= 1000);
                bAtClusterKill = rowsSoFar(b);
                long t0 = System.nanoTime();
                pgB.kill(); // in the middle of b's writes
                long t1 = System.nanoTime();
                aAtClusterKill = rowsSoFar(a);
                // Cluster a's sink does not wait for b: it keeps writing while b is down.
                Await.until("500 more rows in cluster a and b's sink down", Duration.ofSeconds(60),
                        () -> rowsSoFar(a) >= aAtClusterKill + 500 && edge.metric("edge_sink_postgres_b_up") == 0);
                long t2 = System.nanoTime();
                int sentAtEdgeKill = load.sent().size();
                edge.kill();
                aAtEdgeKill = rowsSoFar(a);
                System.out.printf("KillDuringTwoClustersIT: b's kill took %d ms, a's 500 rows and b down %d ms; %d sent at the edge's kill%n",
                        (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, sentAtEdgeKill);
                assertTrue(sentAtEdgeKill < TOTAL, "the load ended before the edge was killed: " + load);
                assertTrue(load.awaitDone(Duration.ofMinutes(1)));
            }
            Set<String> acked = load.acked();
            long aAcked = acked.stream().filter(id -> routing.clusterOf(tenantOf.get(id)).equals("a")).count();
            assertTrue(aAtEdgeKill < aAcked, "the edge was killed while cluster a's sink still had events to write: "
                    + aAtEdgeKill + " of " + aAcked + " written; " + load);
            pgB.start();
            try (EdgeProcess edge = EdgeProcess.start(data, env)) {
                Await.until("both restarted sinks to catch up with the journal", Duration.ofSeconds(90),
                        () -> edge.metric("edge_sink_postgres_a_committed_position_bytes") >= edge.metric("edge_journal_position_bytes")
                                && edge.metric("edge_sink_postgres_b_committed_position_bytes") >= edge.metric("edge_journal_position_bytes"));
                edge.terminate();
                assertEquals(0, edge.awaitExit(Duration.ofSeconds(30)));
            }

            Map<String, Long> inA = countsByEmail(a);
            Map<String, Long> inB = countsByEmail(b);
            List<String> problems = new ArrayList<>();
            long missing = 0;
            for (String id : acked) {
                if (!inA.containsKey(id) && !inB.containsKey(id)) {
                    missing++;
                    problems.add(id + ": acknowledged, in neither cluster");
                }
            }
            long duplicated = 0;
            Set<String> sent = load.sent();
            for (Map<String, Long> m : List.of(inA, inB)) {
                for (Map.Entry<String, Long> e : m.entrySet()) {
                    String id = e.getKey();
                    String cluster = m == inA ? "a" : "b";
                    if (e.getValue() != 1 || (m == inA && inB.containsKey(id))) {
                        duplicated++;
                        problems.add(id + ": " + e.getValue() + " rows in " + cluster + (m == inA && inB.containsKey(id) ? " and some in b" : ""));
                    }
                    if (!sent.contains(id)) {
                        problems.add(id + ": in " + cluster + ", never sent");
                    } else if (!routing.clusterOf(tenantOf.get(id)).equals(cluster)) {
                        problems.add(id + ": in " + cluster + ", its tenant's cluster is " + routing.clusterOf(tenantOf.get(id)));
                    }
                }
            }
            System.out.printf("KillDuringTwoClustersIT: %d sent, %d acknowledged; rows a %d, b %d; at b's kill a %d, b %d;"
                    + " a at the edge's kill %d%n", sent.size(), acked.size(), sum(inA), sum(inB), aAtClusterKill, bAtClusterKill, aAtEdgeKill);
            io.trackedge.sink.testing.FaultReport.record("kill-9-one-of-two-clusters",
                    "SIGKILL of cluster b's PostgreSQL under load, then of the edge; restart both",
                    sent.size(), acked.size(), sum(inA) + sum(inB), duplicated, missing,
                    "a wrote " + (sum(inA) - aAtClusterKill) + " more rows while b was down; both caught up after the restart");
            assertEquals(List.of(), problems.subList(0, Math.min(20, problems.size())), problems.size() + " problems");
            for (TestDatabase db : List.of(a, b)) {
                List<List<String>> daily = Recount.compare(db);
                assertEquals(daily.get(1), daily.get(0));
            }
        }
    }

    private static long sum(Map<String, Long> m) {
        return m.values().stream().mapToLong(Long::longValue).sum();
    }

    private static Map<String, Long> countsByEmail(TestDatabase db) throws SQLException {
        Map<String, Long> rows = new HashMap<>();
        for (String r : db.rows("SELECT email_id, count(*) FROM email_events GROUP BY email_id")) {
            String[] p = r.split("\\|");
            rows.put(p[0], Long.parseLong(p[1]));
        }
        return rows;
    }

    /** Rows in email_events, or 0 while the table is not there yet or the server is down. */
    private static long rowsSoFar(TestDatabase db) {
        try {
            return db.count("SELECT count(*) FROM email_events");
        } catch (SQLException e) {
            return 0;
        }
    }
}
