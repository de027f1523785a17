package io.trackedge.clusters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.db.TenantRouting;
import io.trackedge.journal.NodeId;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.CliRun;
import io.trackedge.testing.TestEdge;
import io.trackedge.testing.TwoClusterConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Edges writing to the same clusters on different routing tables are noticed: each says in every
 * cluster which table it routes by; one that sees another edge on another table reports it on
 * {@code /metrics}, and {@code trackedge clusters check} names it against its own configuration's table.
 * Edges not seen for 15 minutes are listed and not compared.
 */
class RoutingAgreementIT {

    private static final UUID PINNED = UUID.fromString("66666666-6666-4666-8666-666666666666");

    @TempDir
    Path dir;

    @Test
    void anEdgeOnAnotherRoutingTableIsReportedAndNamed() throws Exception {
        try (TestDatabase a = TestDatabase.migrated(); TestDatabase b = TestDatabase.migrated()) {
            Path toA = dir.resolve("to-a.csv");
            Files.writeString(toA, PINNED + ",a\n");
            Path toB = dir.resolve("to-b.csv");
            Files.writeString(toB, PINNED + ",b\n");
            UUID second;
            try (TestEdge first = TwoClusterConfig.edge(a, b, toA); TestEdge agreeing = TwoClusterConfig.edge(a, b, toA)) {
                Await.until("both edges say which table they route by", Duration.ofSeconds(60),
                        () -> a.count("SELECT count(*) FROM edge_routing") == 2 && b.count("SELECT count(*) FROM edge_routing") == 2);
                assertEquals(0.0, TestEdge.sample(agreeing.metrics(), "edge_routing_tables_differing"), "the same table");
                try (TestEdge other = TwoClusterConfig.edge(a, b, toB)) {
                    second = NodeId.loadOrCreate(other.config().journalDir());
                    Await.until("the edge on the other table sees the two on the first", Duration.ofSeconds(60),
                            () -> TestEdge.sample(other.metrics(), "edge_routing_tables_differing") == 2.0);
                }
            }

            CliRun check = CliRun.run(TwoClusterConfig.write(dir.resolve("a.conf"), a, b, toA), "clusters", "check");
            assertEquals(1, check.exit(), check.err() + check.out());
            assertTrue(check.out().contains("this configuration: clusters a,b; 1 pin; table "
                    + TenantRouting.of(List.of("a", "b"), Map.of(PINNED, "a")).digest()), check.out());
            assertEquals(2, check.out().lines().filter(l -> l.contains("edge " + second + " ") && l.endsWith("DIFFERS from this configuration")).count(),
                    "named in both clusters: " + check.out());
            assertEquals(4, check.out().lines().filter(l -> l.endsWith("same as this configuration")).count(), check.out());
            assertTrue(check.err().contains("1 edge(s) seen in the last 15 minutes route by another table"), check.err());

            // Gone for 20 minutes: listed, not compared.
            for (TestDatabase db : List.of(a, b)) {
                try (Connection c = db.connect(); Statement s = c.createStatement()) {
                    s.execute("UPDATE edge_routing SET seen_at = now() - interval '20 minutes' WHERE edge_node = '" + second + "'");
                }
            }
            CliRun later = CliRun.run(TwoClusterConfig.write(dir.resolve("a.conf"), a, b, toA), "clusters", "check");
            assertEquals(0, later.exit(), later.err() + later.out());
            assertEquals(2, later.out().lines().filter(l -> l.contains("edge " + second + " ")
                    && l.endsWith("not seen in the last 15 minutes, not compared")).count(), later.out());

            // A cluster down: said, and exit 1.
            CliRun down = CliRun.run(TwoClusterConfig.write(dir.resolve("down.conf"), a, b, toA, "c=jdbc:postgresql://127.0.0.1:1/down"),
                    "clusters", "check");
            assertEquals(1, down.exit(), down.err() + down.out());
            assertTrue(down.out().contains("cluster c: cannot be read: "), down.out());
            assertTrue(down.err().contains("1 cluster(s) could not be read"), down.err());
        }
    }

    /**
     * Two edges on the same table whose cluster {@code b} is another database for each: each writes the
     * tenants routed to b where the other's reads and jobs do not look. Noticed once each has read the
     * databases its names reach, and named by {@code clusters check}; two names of one configuration
     * reaching one database are named too.
     */
    @Test
    void edgesWhoseClusterNamesReachOtherDatabasesDiffer() throws Exception {
        try (TestDatabase a = TestDatabase.migrated(); TestDatabase b = TestDatabase.migrated(); TestDatabase c = TestDatabase.migrated();
             Database dbA = database(a); Database dbB = database(b); Database dbC = database(c)) {
            Instant now = Instant.now();
            TenantRouting same = TenantRouting.of(List.of("a", "b"), Map.of());
            ClusterIdentities xIds = new ClusterIdentities(List.of("a", "b"));
            ClusterIdentities yIds = new ClusterIdentities(List.of("a", "b"));
            UUID x = UUID.randomUUID();
            UUID y = UUID.randomUUID();
            RoutingAgreement xa = new RoutingAgreement("a", dbA, x, "x", same, xIds, () -> now);
            RoutingAgreement xb = new RoutingAgreement("b", dbB, x, "x", same, xIds, () -> now);
            RoutingAgreement ya = new RoutingAgreement("a", dbA, y, "y", same, yIds, () -> now);
            RoutingAgreement yb = new RoutingAgreement("b", dbC, y, "y", same, yIds, () -> now); // y's b is another database
            xa.run();
            ya.run();
            assertEquals(0, ya.differing(), "each knows only a's database yet, and the table is the same");
            xb.run();
            yb.run();
            xa.run(); // y's row here does not say its b yet: the next minute's does
            ya.run();
            assertEquals(1, ya.differing(), "x's b is another database");
            xa.run();
            assertEquals(1, xa.differing(), "y's b is another database");
            xb.run();
            assertEquals(0, xb.differing(), "y never writes in x's b");
            UUID idA = id(a);
            UUID idB = id(b);
            UUID idC = id(c);
            assertEquals(List.of("a=" + idA + ",b=" + idB), a.rows("SELECT cluster_ids FROM edge_routing WHERE edge_node = '" + x + "'"));

            CliRun check = CliRun.run(TwoClusterConfig.write(dir.resolve("x.conf"), a, b, null), "clusters", "check");
            assertEquals(1, check.exit(), check.err() + check.out());
            assertTrue(check.out().contains("cluster b (database " + idB + "):"), check.out());
            assertTrue(check.out().lines().anyMatch(l -> l.contains("edge " + y + " on y: ") && l.endsWith(
                    "DIFFERS from this configuration: cluster b is database " + idC + " there, " + idB + " here")), check.out());
            assertEquals(2, check.out().lines().filter(l -> l.contains("edge " + x + " on x: ") && l.endsWith("same as this configuration"))
                    .count(), check.out());

            // One database under two names in the command's own configuration: named, exit 1.
            CliRun twice = CliRun.run(TwoClusterConfig.write(dir.resolve("twice.conf"), a, b, null, "c=" + otherSpelling(a)),
                    "clusters", "check");
            assertEquals(1, twice.exit(), twice.err() + twice.out());
            assertTrue(twice.err().contains("clusters a and c of this configuration reach one database (cluster_identity " + idA + ")"),
                    twice.err());
            assertTrue(twice.out().contains("cluster c (database " + idA + "):"), twice.out());
        }
    }

    @Test
    void theCountFollowsTheEdgesSeenRecentlyAndSurvivesAnUnreachableCluster() throws Exception {
        try (TestDatabase a = TestDatabase.migrated();
             Database db = new Database(new PostgresConnectionInfo(a.jdbcUrl(), "postgres", null), 2);
             Database down = new Database(new PostgresConnectionInfo("jdbc:postgresql://127.0.0.1:1/down", "postgres", null), 1)) {
            AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-06T10:00:00Z"));
            TenantRouting one = TenantRouting.of(List.of("a", "b"), Map.of());
            TenantRouting another = TenantRouting.of(List.of("a", "b"), Map.of(PINNED, "b"));
            RoutingAgreement x = new RoutingAgreement("a", db, UUID.randomUUID(), "x", one, new ClusterIdentities(List.of("a", "b")), now::get);
            RoutingAgreement y = new RoutingAgreement("a", db, UUID.randomUUID(), "y", another, new ClusterIdentities(List.of("a", "b")), now::get);
            RoutingAgreement z = new RoutingAgreement("a", db, UUID.randomUUID(), "z", one, new ClusterIdentities(List.of("a", "b")), now::get);
            x.run();
            assertEquals(0, x.differing(), "alone");
            y.run();
            assertEquals(1, y.differing(), "x, on another table");
            z.run();
            assertEquals(1, z.differing(), "y; x routes alike");
            y.run();
            assertEquals(2, y.differing(), "x and z");
            x.run();
            assertEquals(1, x.differing(), "y");

            now.set(now.get().plus(Duration.ofMinutes(16)));
            x.run();
            assertEquals(0, x.differing(), "y not seen for 16 minutes");
            y.run();
            assertEquals(1, y.differing(), "x just seen, z not for 16 minutes");

            RoutingAgreement unreachable = new RoutingAgreement("c", down, UUID.randomUUID(), "w", another, new ClusterIdentities(List.of("c")), now::get);
            unreachable.run(); // scheduled each minute: it must not throw, which would end its schedule
            assertEquals(0, unreachable.differing());
        }
    }

    private static Database database(TestDatabase db) {
        return new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 2);
    }

    private static UUID id(TestDatabase db) throws Exception {
        return UUID.fromString(db.rows("SELECT id::text FROM cluster_identity").get(0));
    }

    /** The same database's url under the loopback's other host name: what the configuration cannot tell apart. */
    static String otherSpelling(TestDatabase db) {
        String url = db.jdbcUrl();
        return url.contains("//127.0.0.1:") ? url.replace("//127.0.0.1:", "//localhost:") : url.replace("//localhost:", "//127.0.0.1:");
    }
}
