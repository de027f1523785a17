package io.trackedge.clusters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.db.TenantRouting;
import io.trackedge.journal.NodeId;
import io.trackedge.sink.postgres.PostgresSink;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.CliRun;
import io.trackedge.testing.TestEdge;
import io.trackedge.testing.TwoClusterConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An edge left on one database ({@code edge.database.url}) that is one of the other edges' clusters
 * writes every tenant there, those routed to the other clusters too: it says so in that database, the
 * edges with clusters count it and {@code trackedge clusters check} names it. Edges on one database
 * and none with clusters have nothing to report.
 */
class OneDatabaseEdgeIT {

    private static final UUID PINNED = UUID.fromString("66666666-6666-4666-8666-666666666666");

    @TempDir
    Path dir;

    @Test
    void anEdgeOnClusterAsDatabaseIsCountedAndNamedByCheck() throws Exception {
        try (TestDatabase a = TestDatabase.migrated(); TestDatabase b = TestDatabase.migrated()) {
            Path table = dir.resolve("routing.csv");
            Files.writeString(table, PINNED + ",a\n");
            UUID single;
            try (TestEdge one = oneDatabaseEdge(a)) {
                single = NodeId.loadOrCreate(one.config().journalDir());
                Await.until("the edge on one database says so in it", Duration.ofSeconds(60),
                        () -> a.count("SELECT count(*) FROM edge_routing WHERE edge_node = '" + single + "' AND clusters = ''") == 1);
                try (TestEdge clustered = TwoClusterConfig.edge(a, b, table)) {
                    Await.until("the edge with clusters counts the one on cluster a's database", Duration.ofSeconds(60),
                            () -> TestEdge.sample(clustered.metrics(), "edge_routing_tables_differing") == 1.0);
                }
            }
            assertEquals(0, b.count("SELECT count(*) FROM edge_routing WHERE clusters = ''"), "it writes nothing to b");

            CliRun check = CliRun.run(TwoClusterConfig.write(dir.resolve("edge.conf"), a, b, table), "clusters", "check");
            assertEquals(1, check.exit(), check.err() + check.out());
            String host = PostgresSink.hostName();
            assertTrue(check.out().lines().anyMatch(l -> l.startsWith("  edge " + single + " on " + host + ": one database, no clusters; since ")
                    && l.endsWith("DIFFERS from this configuration: writes every tenant to this one database")), check.out());
            assertEquals(2, check.out().lines().filter(l -> l.endsWith("same as this configuration")).count(),
                    "the edge with clusters, in a and b: " + check.out());
            assertTrue(check.err().contains("edge " + single + " on " + host + " in cluster a is on one database (edge.database.url,"
                    + " no edge.database.clusters): it writes every tenant there"), check.err());
            assertFalse(check.err().contains("route by another table"), "no edge with clusters differs: " + check.err());
        }
    }

    /** The count each edge keeps, run by run: edges on one database agree with each other and differ from those with clusters. */
    @Test
    void edgesOnOneDatabaseAgreeAndDifferFromEdgesWithClusters() throws Exception {
        try (TestDatabase a = TestDatabase.migrated();
             Database db = new Database(new PostgresConnectionInfo(a.jdbcUrl(), "postgres", null), 2);
             Database down = new Database(new PostgresConnectionInfo("jdbc:postgresql://127.0.0.1:1/down", "postgres", null), 1)) {
            AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-08T10:00:00Z"));
            RoutingAgreement x = RoutingAgreement.oneDatabase(db, UUID.randomUUID(), "x", now::get);
            RoutingAgreement y = RoutingAgreement.oneDatabase(db, UUID.randomUUID(), "y", now::get);
            x.run();
            y.run();
            x.run();
            assertEquals(0, x.differing(), "y is on one database too");
            assertEquals(0, y.differing(), "x is on one database too");
            assertEquals(List.of("|0|" + RoutingAgreement.ONE_DATABASE + "|"),
                    a.rows("SELECT DISTINCT clusters || '|' || pins || '|' || digest || '|' || cluster_ids FROM edge_routing"));

            RoutingAgreement k = new RoutingAgreement("a", db, UUID.randomUUID(), "k", TenantRouting.of(List.of("a", "b"), Map.of()),
                    new ClusterIdentities(List.of("a", "b")), now::get);
            k.run();
            assertEquals(2, k.differing(), "x and y write every tenant here");
            x.run();
            assertEquals(1, x.differing(), "k routes by clusters");

            now.set(now.get().plus(Duration.ofMinutes(16)));
            k.run();
            assertEquals(0, k.differing(), "x and y not seen for 16 minutes");

            RoutingAgreement unreachable = RoutingAgreement.oneDatabase(down, UUID.randomUUID(), "w", now::get);
            unreachable.run(); // scheduled each minute: it must not throw, which would end its schedule
            assertEquals(0, unreachable.differing());
        }
    }

    /** No clusters anywhere: the edge says so in its database and counts no one; {@code clusters check} still refuses such a configuration. */
    @Test
    void aDeploymentOnOneDatabaseHasNothingToReport() throws Exception {
        try (TestDatabase x = TestDatabase.migrated()) {
            try (TestEdge first = oneDatabaseEdge(x); TestEdge second = oneDatabaseEdge(x)) {
                Await.until("both edges say they are on one database", Duration.ofSeconds(60),
                        () -> x.count("SELECT count(*) FROM edge_routing WHERE clusters = ''") == 2);
                assertEquals(0.0, TestEdge.sample(first.metrics(), "edge_routing_tables_differing"));
                assertEquals(0.0, TestEdge.sample(second.metrics(), "edge_routing_tables_differing"));
            }
            Path config = dir.resolve("edge.conf");
            Files.writeString(config, "edge.data-dir = \"" + dir + "\"\nedge.database.user = postgres\nedge.database.url = \""
                    + x.jdbcUrl() + "\"\n");
            CliRun check = CliRun.run(config, "clusters", "check");
            assertEquals(2, check.exit(), "as before: a configuration without clusters is not checked: " + check.out());
            assertEquals("", check.out());
            assertEquals("edge.database.clusters (EDGE_DATABASE_CLUSTERS) is not set: every tenant is in the one database",
                    check.err().strip());
        }
    }

    private static TestEdge oneDatabaseEdge(TestDatabase db) throws Exception {
        return TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_USER", "postgres", "EDGE_DATABASE_URL", db.jdbcUrl(),
                "EDGE_JOBS_ENABLED", "false");
    }
}
