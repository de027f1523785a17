package io.trackedge.clusters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.journal.NodeId;
import io.trackedge.sink.SinkHealth;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.TestEdge;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two cluster names of one edge that reach one database (two host names of it): the sink that
 * claims the database first writes its tenants there, and keeps it across restarts; the other does
 * not write, and says why, its events kept in the journal. Once the configuration gives it a database
 * of its own, each cluster holds its tenants' events once: nothing lost, nothing twice. Before, the two
 * sinks moved one cursor, and each skipped what the other had passed over.
 */
class SharedDatabaseIT {

    private static final UUID TA = UUID.fromString("aaaaaaaa-1111-4111-8111-111111111111");
    private static final UUID TB = UUID.fromString("bbbbbbbb-2222-4222-8222-222222222222");
    private static final int N = 30;
    private static final String REFUSAL = "of edge.database.clusters reach one database";

    @TempDir
    Path tmp;

    @Test
    void theSecondNameForADatabaseWritesNothingUntilItHasItsOwn() throws Exception {
        twoNamesThenOwnDatabases(false);
    }

    /** b, the name given a's database by mistake, claimed it first: a writes once an operator deletes b's cursor there. */
    @Test
    void theMistakenNameClaimedItFirst() throws Exception {
        twoNamesThenOwnDatabases(true);
    }

    private void twoNamesThenOwnDatabases(boolean bFirst) throws Exception {
        Path table = tmp.resolve("routing.csv");
        Files.writeString(table, TA + ",a\n" + TB + ",b\n");
        try (TestDatabase x = TestDatabase.migrated(); TestDatabase b = TestDatabase.create()) {
            Path dataDir = Files.createDirectories(tmp.resolve("data"));
            if (bFirst) {
                UUID node;
                try (TestEdge edge = TestEdge.start("EDGE_DATA_DIR", dataDir.toString())) { // the edge's node id, made
                    node = NodeId.loadOrCreate(edge.config().journalDir());
                }
                try (Connection c = x.connect(); Statement s = c.createStatement()) {
                    s.execute("INSERT INTO sink_cursors (edge_node, sink, position) VALUES ('" + node + "', 'postgres_b', 0)");
                }
            }
            String refused;
            try (TestEdge edge = edge(dataDir, x.jdbcUrl(), RoutingAgreementIT.otherSpelling(x), table)) {
                edge.opens(TA, "first-", N);
                edge.opens(TB, "first-", N);
                refused = awaitRefused(edge);
                if (bFirst) {
                    assertEquals("postgres_a", refused);
                }
                String winner = refused.equals("postgres_a") ? "b" : "a";
                UUID written = winner.equals("a") ? TA : TB;
                Await.until("the first name's tenant written", Duration.ofSeconds(60), () -> rowsOf(x, written) == N);
                assertEquals(0, rowsOf(x, written == TA ? TB : TA), "the refused sink wrote nothing");
            }
            try (TestEdge edge = edge(dataDir, x.jdbcUrl(), RoutingAgreementIT.otherSpelling(x), table)) {
                assertEquals(refused, awaitRefused(edge), "the database stays the name's that claimed it first");
            }

            // b given a database of its own.
            try (TestEdge edge = edge(dataDir, x.jdbcUrl(), b.jdbcUrl(), table)) {
                edge.opens(TA, "second-", N);
                edge.opens(TB, "second-", N);
                if (refused.equals("postgres_a")) {
                    // x held b's cursor: a is still refused there until an operator says b's rows there were a mistake.
                    assertEquals("postgres_a", awaitRefused(edge));
                    try (Connection c = x.connect(); Statement s = c.createStatement()) {
                        s.execute("DELETE FROM sink_cursors WHERE sink = 'postgres_b' AND edge_node = '"
                                + NodeId.loadOrCreate(edge.config().journalDir()) + "'");
                    }
                }
                Await.until("every event in its cluster", Duration.ofSeconds(90),
                        () -> rowsOf(x, TA) >= 2 * N && rowsOf(b, TB) >= 2 * N);
                for (SinkLoop l : edge.postgresSinkLoops()) { // nothing left to write twice
                    Await.until(l.name() + " past the journal's end", Duration.ofSeconds(60),
                            () -> TestEdge.sample(edge.metrics(), "edge_sink_lag_events{sink=\"" + l.name() + "\"}") == 0.0);
                }
            }
            assertEquals(2 * N, rowsOf(x, TA), "a's tenant, once: those the first runs held back too");
            assertEquals(2 * N, rowsOf(b, TB), "b's tenant in b, once");
            // Written by b while it reached a's database, its first events stay there too.
            assertEquals(refused.equals("postgres_a") ? N : 0, rowsOf(x, TB));
        }
    }

    /** The name of the sink that refuses the database, once one does. */
    private static String awaitRefused(TestEdge edge) throws java.io.IOException {
        List<SinkLoop> loops = edge.postgresSinkLoops();
        Await.until("one of the two sinks refuses the database the other claimed", Duration.ofSeconds(60),
                () -> loops.stream().anyMatch(l -> l.health().lastError() != null && l.health().lastError().contains(REFUSAL)));
        SinkLoop refused = loops.stream().filter(l -> l.health().lastError() != null && l.health().lastError().contains(REFUSAL))
                .findFirst().orElseThrow();
        assertNotEquals(SinkHealth.State.RUNNING, refused.health().state());
        assertEquals(1, loops.stream().filter(l -> l.health().lastError() != null && l.health().lastError().contains(REFUSAL)).count(),
                "one of them: " + loops.stream().map(l -> l.name() + ": " + l.health().lastError()).toList());
        // What the README says an operator sees: the gauge and /readyz name the refused sink, and why.
        assertEquals(0.0, TestEdge.sample(edge.metrics(), "edge_sink_up{sink=\"" + refused.name() + "\"}"));
        var check = new com.fasterxml.jackson.databind.ObjectMapper().readTree(edge.admin("/readyz")).path("checks")
                .path(refused.name() + "-sink");
        assertTrue(check.path("degraded").asBoolean() && check.path("detail").asText().contains(REFUSAL), check.toString());
        return refused.name();
    }

    private static TestEdge edge(Path dataDir, String a, String b, Path table) throws Exception {
        return TestEdge.start("EDGE_DATA_DIR", dataDir.toString(), "EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_USER", "postgres",
                "EDGE_DATABASE_CLUSTERS", "a=" + a + ",b=" + b, "EDGE_DATABASE_ROUTING_TABLE", table.toString(), "EDGE_JOBS_ENABLED", "false",
                "EDGE_SINK_STALL_AFTER", "1h", "EDGE_SINK_MAX_BACKOFF", "2s");
    }

    private static long rowsOf(TestDatabase db, UUID tenant) throws java.sql.SQLException {
        return db.count("SELECT count(*) FROM email_events WHERE tenant_id = '" + tenant + "'");
    }
}
