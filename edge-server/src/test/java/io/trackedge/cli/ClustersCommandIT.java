package io.trackedge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.db.TenantRouting;
import io.trackedge.sink.BadRecord;
import io.trackedge.sink.bad.UncheckedBadEvents;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.CliRun;
import io.trackedge.testing.TwoClusterConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code trackedge clusters route|pins} in-process, against two fresh databases as the clusters. */
class ClustersCommandIT {

    private static final UUID T1 = UUID.fromString("00000000-0000-4000-8000-000000000001");
    private static final UUID T2 = UUID.fromString("8f14e45f-ceea-467a-9af3-1a2b3c4d5e6f");
    private static final UUID T3 = UUID.fromString("0190f3a1-7c2e-7d10-b000-00000000abcd");

    @TempDir
    Path dir;

    @Test
    void pinsListEveryTenantWhereItsRowsAreAndRouteSaysWhereOneLives() throws Exception {
        try (TestDatabase a = TestDatabase.create(); TestDatabase b = TestDatabase.create()) {
            Path table = dir.resolve("routing.csv");
            Files.writeString(table, T3 + ",a\n");
            Path config = TwoClusterConfig.write(dir.resolve("edge.conf"), a, b, table);
            TenantRouting routing = TenantRouting.of(List.of("a", "b"), Map.of(T3, "a"));

            CliRun route = CliRun.run(config, "clusters", "route", "--tenant", T1.toString());
            assertEquals(0, route.exit(), route.err());
            assertEquals(routing.clusterOf(T1) + " (by the hash)", route.out().strip());
            assertEquals("a (pinned by the routing table)", CliRun.run(config, "clusters", "route", "--tenant", T3.toString()).out().strip());

            CliRun migrate = CliRun.run(config, "migrate");
            assertEquals(0, migrate.exit(), migrate.err());
            CliRun jobsOnB = CliRun.run(config, "jobs", "list", "--cluster", "b");
            assertEquals(0, jobsOnB.exit(), jobsOnB.err());
            assertEquals(2, CliRun.run(config, "jobs", "list", "--cluster", "z").exit(), "an unknown cluster is refused");
            try (Connection c = b.connect()) {
                UncheckedBadEvents.insert(c, "postgres", UUID.randomUUID(), new BadRecord(1, 2, new byte[] {1, 2, 3}, null, "set aside in b", "decode"));
            }
            CliRun badOnB = CliRun.run(config, "bad-events", "list", "--cluster", "b");
            assertEquals(0, badOnB.exit(), badOnB.err());
            assertTrue(badOnB.out().contains("set aside in b"), "b's set-aside events, not a's: " + badOnB.out());
            assertTrue(!CliRun.run(config, "bad-events", "list", "--cluster", "a").out().contains("set aside in b"));
            assertEquals(2, CliRun.run(config, "bad-events", "list", "--cluster", "z").exit(), "an unknown cluster is refused");
            counters(a, T1, T3);
            counters(b, T2);
            CliRun pins = CliRun.run(config, "clusters", "pins");
            assertEquals(0, pins.exit(), pins.err());
            assertEquals(List.of(T1 + ",a", T2 + ",b", T3 + ",a").stream().sorted().toList(),
                    pins.out().lines().filter(l -> !l.startsWith("#")).sorted().toList());

            // A tenant with rows in both, pinned to b while its move waits, and one pinned before its first event:
            // printed as the current table routes them, so that its output as the new table moves neither.
            UUID early = UUID.fromString("44444444-4444-4444-8444-444444444444");
            Files.writeString(table, T3 + ",a\n" + T1 + ",b\n" + early + ",b\n");
            counters(b, T1);
            CliRun split = CliRun.run(config, "clusters", "pins");
            assertEquals(1, split.exit());
            assertTrue(split.err().contains("tenant " + T1 + " has rows in [a, b]: kept where the current table routes it (b)"),
                    split.err());
            assertEquals(List.of(T1 + ",b", T2 + ",b", T3 + ",a", early + ",b").stream().sorted().toList(),
                    split.out().lines().filter(l -> !l.startsWith("#")).sorted().toList(), split.out());
        }
    }

    @Test
    void eraseGoesToEveryClusterTheTenantsFirst() throws Exception {
        try (TestDatabase a = TestDatabase.create(); TestDatabase b = TestDatabase.create()) {
            Path config = TwoClusterConfig.write(dir.resolve("edge.conf"), a, b, null);
            TenantRouting routing = TenantRouting.of(List.of("a", "b"), Map.of());
            UUID tenant = routing.clusterOf(T1).equals("b") ? T1 : T2;
            assertEquals("b", routing.clusterOf(tenant), "one of the two tenants hashes to b");
            assertEquals(0, CliRun.run(config, "migrate").exit());
            // The same recipient's row in both clusters (a move left one in a): both go.
            for (TestDatabase db : List.of(a, b)) {
                try (Connection c = java.sql.DriverManager.getConnection(db.jdbcUrl(), "postgres", null); Statement s = c.createStatement()) {
                    s.execute("INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, email_id, edge_no)"
                            + " VALUES (gen_random_uuid(), 'open', now(), '" + tenant + "', gen_random_uuid(), 'erase-me', 1)");
                }
            }
            CliRun erase = CliRun.run(config, "erase", "--tenant", tenant.toString(), "--email", "erase-me");
            assertEquals(0, erase.exit(), erase.err());
            assertTrue(erase.out().contains("email_events       2 rows deleted"), erase.out());
            for (TestDatabase db : List.of(a, b)) {
                assertEquals(0, db.count("SELECT count(*) FROM email_events WHERE email_id = 'erase-me'"));
                assertEquals(1, db.count("SELECT count(*) FROM erasure_audit"), "audited in each cluster");
            }
        }
    }

    @Test
    void withoutClustersTheCommandsSaySo() throws Exception {
        Path config = dir.resolve("edge.conf");
        Files.writeString(config, "edge.data-dir = \"" + dir + "\"\nedge.database.url = \"postgresql://127.0.0.1/none\"\n");
        CliRun route = CliRun.run(config, "clusters", "route", "--tenant", T1.toString());
        assertEquals(2, route.exit());
    }

    private static void counters(TestDatabase db, UUID... tenants) throws Exception {
        try (Database d = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 1);
             Connection c = d.dataSource().getConnection(); Statement s = c.createStatement()) {
            for (UUID t : tenants) {
                s.execute("INSERT INTO daily_analytics (tenant_id, user_id, campaign_id, mailbox_id, date, opens_total) VALUES ('"
                        + t + "', '" + t + "', 'camp-1', 'mbox-1', current_date, 1)");
            }
        }
    }
}
