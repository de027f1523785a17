package io.trackedge.clusters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.db.TenantRouting;
import io.trackedge.privacy.PrivacyPolicy;
import io.trackedge.sink.bad.BadEventForwarding;
import io.trackedge.sink.bad.BadEvents;
import io.trackedge.sink.postgres.PostgresReplay;
import io.trackedge.sink.postgres.PostgresSink;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.CliRun;
import io.trackedge.testing.TestEdge;
import io.trackedge.testing.TwoClusterConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An edge still on the routing table from before a tenant's move (not restarted, or back from being
 * down) sends the tenant's events to the cluster it left: there they are set aside with the reason,
 * not written where no read looks, and {@code bad-events replay} on that cluster forwards them to the
 * tenant's cluster and writes them there, once however often it runs, and once when a run before it
 * stopped after replaying a copy there. Moving the tenant back lifts the mark, and the edges then write where the tenant lives
 * again what was set aside there before the move back. Another tenant of the old cluster is written as before.
 * A cluster that cannot be reached keeps its rows listed in the old one until a run finds it up.
 */
class StaleEdgeAfterMoveIT {

    private static final UUID MOVED = TestEdge.TENANT;
    private static final UUID OTHER = UUID.fromString("44444444-4444-4444-8444-444444444444");

    @TempDir
    Path dir;

    @Test
    void aStaleEdgesEventsOfAMovedTenantAreSetAsideAndForwardedToItsCluster() throws Exception {
        try (TestDatabase a = TestDatabase.create(); TestDatabase b = TestDatabase.create()) {
            Path before = dir.resolve("before.csv");
            Files.writeString(before, MOVED + ",a\n" + OTHER + ",a\n");
            Path after = dir.resolve("after.csv");
            Files.writeString(after, MOVED + ",b\n" + OTHER + ",a\n");
            try (TestEdge edge = TwoClusterConfig.edge(a, b, before)) {
                edge.opens(MOVED, "first-", 10);
                Await.until("10 events in a", Duration.ofSeconds(60), () -> rows(a, "email_event_rows", MOVED) == 10);
            }
            Path config = TwoClusterConfig.write(dir.resolve("edge.conf"), a, b, after);
            CliRun moved = CliRun.run(config, "clusters", "move", "--tenant", MOVED.toString(), "--from", "a");
            assertEquals(0, moved.exit(), moved.err() + moved.out());
            assertEquals(List.of("b"), a.rows("SELECT moved_to FROM tenants_moved_out WHERE tenant_id = '" + MOVED + "'"));

            try (TestEdge stale = TwoClusterConfig.edge(a, b, before)) {
                stale.opens(MOVED, "late-", 6);
                stale.opens(OTHER, "other-", 3);
                Await.until("the stale edge's events of the moved tenant set aside in a", Duration.ofSeconds(60),
                        () -> a.count("SELECT count(*) FROM bad_events WHERE tenant_id = '" + MOVED + "'") == 6
                                && rows(a, "email_event_rows", OTHER) == 3);
            }
            assertEquals(0, rows(a, "email_event_rows", MOVED), "nothing of the moved tenant written in a");
            assertEquals(0, rows(a, "daily_analytics", MOVED), "nor counted there");
            for (String row : a.rows("SELECT error_code || '|' || error FROM bad_events WHERE tenant_id = '" + MOVED + "'")) {
                assertTrue(row.startsWith("moved|") && row.contains("moved out of this cluster to cluster b"), row);
            }
            assertEquals(10, rows(b, "email_event_rows", MOVED));

            // A run that stopped after one copy was replayed in b, before its original in a was marked.
            List<BadEvents.Row> inA;
            try (java.sql.Connection ca = a.connect(); java.sql.Connection cb = b.connect()) {
                inA = BadEvents.list(ca, PostgresSink.NAME, false, 100);
                long copy = BadEventForwarding.copy(cb, inA.get(0), PrivacyPolicy.keepAll()).orElseThrow();
                try (Database bDb = new Database(new PostgresConnectionInfo(b.jdbcUrl(), "postgres", null), 2)) {
                    assertTrue(new PostgresReplay(bDb).replay(BadEvents.byIds(cb, List.of(copy))).get(0).replayed());
                }
            }
            assertEquals(11, rows(b, "email_event_rows", MOVED));

            CliRun replay = CliRun.run(config, "bad-events", "replay", "--cluster", "a");
            assertEquals(0, replay.exit(), replay.err() + replay.out());
            assertTrue(replay.out().contains(inA.get(0).id() + " forwarded to cluster b as "), replay.out());
            assertTrue(replay.err().contains("6 of 6 replayed"), replay.err());
            assertEquals(16, rows(b, "email_event_rows", MOVED), "the six written in b, the one replayed before once");
            assertEquals(0, rows(a, "email_event_rows", MOVED));
            assertEquals(0, a.count("SELECT count(*) FROM bad_events WHERE replayed_at IS NULL"));
            assertEquals(6, a.count("SELECT count(*) FROM bad_events WHERE last_replay_error LIKE 'forwarded to cluster b as bad event % and replayed there'"));
            assertEquals(0, b.count("SELECT count(*) FROM bad_events WHERE replayed_at IS NULL"));
            assertEquals(6, b.count("SELECT count(*) FROM bad_events WHERE recipient_hash IS NOT NULL"
                    + " AND length(recipient_hash) = 32"), "each copy names its recipient, as an erasure in b finds it (V41)");

            CliRun again = CliRun.run(config, "bad-events", "replay", "--cluster", "a");
            assertEquals(0, again.exit(), again.err());
            assertTrue(again.err().contains("0 of 0 replayed"), again.err());
            assertEquals(16, rows(b, "email_event_rows", MOVED), "each once");

            // Back into a: its mark there goes, and b's says where it went.
            CliRun back = CliRun.run(TwoClusterConfig.write(dir.resolve("back.conf"), a, b, before),
                    "clusters", "move", "--tenant", MOVED.toString(), "--from", "b");
            assertEquals(0, back.exit(), back.err() + back.out());
            assertEquals(0, a.count("SELECT count(*) FROM tenants_moved_out"));
            assertEquals(List.of("a"), b.rows("SELECT moved_to FROM tenants_moved_out WHERE tenant_id = '" + MOVED + "'"));
            assertEquals(16, rows(a, "email_event_rows", MOVED));
        }
    }

    @Test
    void anEdgeOnTheNewTableForwardsTheStaleEdgesEventsByItself() throws Exception {
        try (TestDatabase a = TestDatabase.create(); TestDatabase b = TestDatabase.create(); TestDatabase c = TestDatabase.migrated()) {
            Path before = routing("before.csv", "a");
            Path after = routing("after.csv", "b");
            eventsInAThenMovedToB(a, b, before, after, 4);
            try (TestEdge stale = TwoClusterConfig.edge(a, b, before)) {
                stale.opens(MOVED, "late-", 5);
                Await.until("the stale edge's events set aside in a", Duration.ofSeconds(60),
                        () -> a.count("SELECT count(*) FROM bad_events WHERE error_code = 'moved' AND replayed_at IS NULL") == 5);
            }

            // An edge whose table sends the tenant elsewhere than the move's mark says leaves them alone.
            try (Database da = new Database(new PostgresConnectionInfo(a.jdbcUrl(), "postgres", null), 2);
                 Database db = new Database(new PostgresConnectionInfo(b.jdbcUrl(), "postgres", null), 2);
                 Database dc = new Database(new PostgresConnectionInfo(c.jdbcUrl(), "postgres", null), 2)) {
                MovedEventsForwarder disagreeing = new MovedEventsForwarder("a", da, Map.of("a", da, "b", db, "c", dc),
                        TenantRouting.of(List.of("a", "b", "c"), Map.of(MOVED, "c")), new ClusterIdentities(List.of("a", "b", "c")),
                        PostgresReplay::new);
                disagreeing.run();
                assertEquals(0, disagreeing.forwarded());
                assertEquals(5, a.count("SELECT count(*) FROM bad_events WHERE replayed_at IS NULL AND last_replay_error IS NULL"));
                assertEquals(0, c.count("SELECT count(*) FROM bad_events"));
            }

            try (TestEdge current = TwoClusterConfig.edge(a, b, after)) {
                Await.until("the edge on the new table forwards them to b and writes them there", Duration.ofSeconds(60),
                        () -> rows(b, "email_event_rows", MOVED) == 9
                                && a.count("SELECT count(*) FROM bad_events WHERE replayed_at IS NULL") == 0);
                Await.until("and counts them", Duration.ofSeconds(10),
                        () -> TestEdge.sample(current.metrics(), "edge_moved_events_forwarded_total") == 5.0);
            }
            assertEquals(5, a.count("SELECT count(*) FROM bad_events WHERE last_replay_error LIKE 'forwarded to cluster b as bad event % and replayed there'"));
            assertEquals(0, rows(a, "email_event_rows", MOVED));
            assertEquals(5, b.count("SELECT count(*) FROM bad_events WHERE replayed_at IS NOT NULL"), "the copies, replayed in b");
        }
    }

    /**
     * Pinned back to a after its move to b, before the move back runs: an edge on that table has the
     * tenant's events set aside in a (a's mark still says b), and no forward takes them (the edges route
     * the tenant to a, not where the mark says). Once the move back lifts the mark, the edges write them
     * in a by themselves. One that a forward had written in b before it stopped (the move back brought
     * that event to a) is marked, not written twice.
     */
    @Test
    void eventsSetAsideBeforeAMoveBackAreWrittenWhereTheTenantLivesAgain() throws Exception {
        try (TestDatabase a = TestDatabase.create(); TestDatabase b = TestDatabase.create()) {
            Path inA = routing("in-a.csv", "a");
            Path inB = routing("in-b.csv", "b");
            eventsInAThenMovedToB(a, b, inA, inB, 3);

            try (TestEdge pinnedBack = TwoClusterConfig.edge(a, b, inA)) {
                pinnedBack.opens(MOVED, "back-", 4);
                Await.until("the events set aside in a, its mark saying b", Duration.ofSeconds(60),
                        () -> a.count("SELECT count(*) FROM bad_events WHERE error_code = 'moved' AND tenant_id = '" + MOVED + "'") == 4);
            }
            // A forward that stopped after writing one of them in b, before marking it in a.
            try (java.sql.Connection ca = a.connect(); java.sql.Connection cb = b.connect();
                 Database bDb = new Database(new PostgresConnectionInfo(b.jdbcUrl(), "postgres", null), 2)) {
                long copy = BadEventForwarding.copy(cb, BadEvents.list(ca, PostgresSink.NAME, false, 100).get(0),
                        PrivacyPolicy.keepAll()).orElseThrow();
                assertTrue(new PostgresReplay(bDb).replay(BadEvents.byIds(cb, List.of(copy))).get(0).replayed());
            }
            assertEquals(4, rows(b, "email_event_rows", MOVED));

            CliRun back = CliRun.run(TwoClusterConfig.write(dir.resolve("to-a.conf"), a, b, inA),
                    "clusters", "move", "--tenant", MOVED.toString(), "--from", "b");
            assertEquals(0, back.exit(), back.err() + back.out());
            assertEquals(0, a.count("SELECT count(*) FROM tenants_moved_out"), "a's mark lifted");
            assertEquals(4, rows(a, "email_event_rows", MOVED));

            try (TestEdge current = TwoClusterConfig.edge(a, b, inA)) {
                Await.until("the edge writes the three others in a", Duration.ofSeconds(60),
                        () -> a.count("SELECT count(*) FROM bad_events WHERE replayed_at IS NULL") == 0);
                Await.until("and counts them", Duration.ofSeconds(10),
                        () -> TestEdge.sample(current.metrics(), "edge_moved_events_forwarded_total") == 3.0);
            }
            assertEquals(7, rows(a, "email_event_rows", MOVED), "each once");
            assertEquals(1, a.count("SELECT count(*) FROM bad_events WHERE last_replay_error LIKE"
                    + " 'forwarded to cluster b as bad event % and replayed there'"), "the one written in b, marked");
            assertEquals(0, rows(b, "email_event_rows", MOVED));
        }
    }

    /**
     * The edges' own replay of a moved-back tenant's set-aside events that fails for the database's passing
     * trouble (here a lock it needs held past its {@code lock_timeout}: 55P03) leaves the rows untried, and the
     * next round writes them. Recorded as refused, as they were, no edge ever wrote them.
     */
    @Test
    void aMovedBackTenantsEventsWhoseReplayFailedForTheDatabaseAreWrittenTheNextRound() throws Exception {
        try (TestDatabase a = TestDatabase.create(); TestDatabase b = TestDatabase.create()) {
            Path inA = routing("in-a.csv", "a");
            Path inB = routing("in-b.csv", "b");
            eventsInAThenMovedToB(a, b, inA, inB, 2);
            try (TestEdge pinnedBack = TwoClusterConfig.edge(a, b, inA)) {
                pinnedBack.opens(MOVED, "back-", 3);
                Await.until("the events set aside in a, its mark saying b", Duration.ofSeconds(60),
                        () -> a.count("SELECT count(*) FROM bad_events WHERE error_code = 'moved' AND tenant_id = '" + MOVED + "'") == 3);
            }
            CliRun back = CliRun.run(TwoClusterConfig.write(dir.resolve("to-a.conf"), a, b, inA),
                    "clusters", "move", "--tenant", MOVED.toString(), "--from", "b");
            assertEquals(0, back.exit(), back.err() + back.out());
            assertEquals(2, rows(a, "email_event_rows", MOVED));

            try (Database impatient = new Database(new PostgresConnectionInfo(a.jdbcUrl() + "?options=-c%20lock_timeout%3D200",
                    "postgres", null), 2);
                 Database db = new Database(new PostgresConnectionInfo(b.jdbcUrl(), "postgres", null), 2)) {
                MovedEventsForwarder forwarder = new MovedEventsForwarder("a", impatient, Map.of("a", impatient, "b", db),
                        TenantRouting.of(List.of("a", "b"), Map.of(MOVED, "a")), new ClusterIdentities(List.of("a", "b")),
                        PostgresReplay::new);
                try (java.sql.Connection holder = a.connect(); java.sql.Statement s = holder.createStatement()) {
                    holder.setAutoCommit(false);
                    s.execute("LOCK TABLE email_event_rows IN ACCESS EXCLUSIVE MODE");
                    forwarder.run();
                    holder.rollback();
                }
                assertEquals(0, forwarder.forwarded());
                assertEquals(3, a.count("SELECT count(*) FROM bad_events WHERE replayed_at IS NULL AND last_replay_error IS NULL"),
                        "untried, for the next round");

                forwarder.run();
                assertEquals(3, forwarder.forwarded());
            }
            assertEquals(5, rows(a, "email_event_rows", MOVED), "each once");
            assertEquals(0, a.count("SELECT count(*) FROM bad_events WHERE replayed_at IS NULL"));
        }
    }

    @Test
    void aClusterThatCannotBeReachedKeepsOnlyItsRowsListed() throws Exception {
        UUID toC = UUID.fromString("55555555-5555-4555-8555-555555555555");
        try (TestDatabase a = TestDatabase.migrated(); TestDatabase b = TestDatabase.migrated(); TestDatabase c = TestDatabase.migrated()) {
            // As two moves out of a leave them: one tenant to b, one to c.
            try (java.sql.Connection ca = a.connect(); java.sql.Statement s = ca.createStatement()) {
                s.execute("INSERT INTO tenants_moved_out (tenant_id, moved_to) VALUES ('" + MOVED + "', 'b'), ('" + toC + "', 'c')");
            }
            Path before = dir.resolve("before.csv");
            Files.writeString(before, MOVED + ",a\n" + toC + ",a\n");
            try (TestEdge stale = TwoClusterConfig.edge(a, b, before)) {
                stale.opens(MOVED, "to-b-", 2);
                stale.opens(toC, "to-c-", 3);
                Await.until("both tenants' events set aside in a", Duration.ofSeconds(60),
                        () -> a.count("SELECT count(*) FROM bad_events WHERE error_code = 'moved'") == 5);
            }
            Path after = dir.resolve("after.csv");
            Files.writeString(after, MOVED + ",b\n" + toC + ",c\n");
            // Nothing listens on port 1: c is down.
            Path down = TwoClusterConfig.write(dir.resolve("down.conf"), a, b, after, "c=jdbc:postgresql://127.0.0.1:1/down");
            CliRun replay = CliRun.run(down, "bad-events", "replay", "--cluster", "a");
            assertEquals(1, replay.exit(), replay.err() + replay.out());
            assertTrue(replay.err().contains("2 of 5 replayed"), replay.err());
            assertEquals(3, replay.out().lines().filter(l -> l.contains("not replayed: not forwarded to cluster c: ")).count(), replay.out());
            assertEquals(2, rows(b, "email_event_rows", MOVED), "b's rows forwarded and written there");
            assertEquals(List.of(toC + "|3"), a.rows("SELECT tenant_id || '|' || count(*) FROM bad_events"
                    + " WHERE replayed_at IS NULL GROUP BY tenant_id"), "only c's rows still listed in a");

            // c back: the next run forwards its rows, and writes nothing twice in b.
            Path up = TwoClusterConfig.write(dir.resolve("up.conf"), a, b, after, "c=" + c.jdbcUrl());
            CliRun again = CliRun.run(up, "bad-events", "replay", "--cluster", "a");
            assertEquals(0, again.exit(), again.err() + again.out());
            assertTrue(again.err().contains("3 of 3 replayed"), again.err());
            assertEquals(3, rows(c, "email_event_rows", toC));
            assertEquals(2, rows(b, "email_event_rows", MOVED));
            assertEquals(0, a.count("SELECT count(*) FROM bad_events WHERE replayed_at IS NULL"));
        }
    }

    /**
     * A run takes at most its share of rows, oldest first, from the tenants whose cluster can take them now:
     * the rows of a tenant moved to a cluster that is down (or whose database another name reaches) never
     * fill the share, however many and however old.
     */
    @Test
    void rowsThatMustWaitDoNotHoldUpTheOthers() throws Exception {
        UUID toC = UUID.fromString("55555555-5555-4555-8555-555555555555");
        try (TestDatabase a = TestDatabase.migrated(); TestDatabase b = TestDatabase.migrated()) {
            try (java.sql.Connection ca = a.connect(); java.sql.Statement s = ca.createStatement()) {
                s.execute("INSERT INTO tenants_moved_out (tenant_id, moved_to) VALUES ('" + MOVED + "', 'b'), ('" + toC + "', 'c')");
            }
            Path before = dir.resolve("before.csv");
            Files.writeString(before, MOVED + ",a\n" + toC + ",a\n");
            try (TestEdge stale = TwoClusterConfig.edge(a, b, before)) {
                stale.opens(toC, "to-c-", 3); // the oldest rows: c's
                Await.until("c's set aside first", Duration.ofSeconds(60),
                        () -> a.count("SELECT count(*) FROM bad_events WHERE error_code = 'moved'") == 3);
                stale.opens(MOVED, "to-b-", 3);
                Await.until("then b's", Duration.ofSeconds(60), () -> a.count("SELECT count(*) FROM bad_events WHERE error_code = 'moved'") == 6);
            }
            try (Database da = new Database(new PostgresConnectionInfo(a.jdbcUrl(), "postgres", null), 2);
                 Database db = new Database(new PostgresConnectionInfo(b.jdbcUrl(), "postgres", null), 2);
                 Database down = new Database(new PostgresConnectionInfo("jdbc:postgresql://127.0.0.1:1/down", "postgres", null), 1)) {
                MovedEventsForwarder forwarder = new MovedEventsForwarder("a", da, Map.of("a", da, "b", db, "c", down),
                        TenantRouting.of(List.of("a", "b", "c"), Map.of(MOVED, "b", toC, "c")), new ClusterIdentities(List.of("a", "b", "c")),
                        PostgresReplay::new, 2);
                forwarder.run();
                assertEquals(2, forwarder.forwarded(), "b's two oldest: a run's share, not c's");
                assertEquals(2, rows(b, "email_event_rows", MOVED));
                forwarder.run();
                assertEquals(3, forwarder.forwarded(), "the rest the next run");
                assertEquals(3, rows(b, "email_event_rows", MOVED));
                assertEquals(List.of(toC + "|3"), a.rows("SELECT tenant_id || '|' || count(*) FROM bad_events"
                        + " WHERE replayed_at IS NULL AND last_replay_error IS NULL GROUP BY tenant_id"), "c's wait, untried");
            }
        }
    }


    private static long rows(TestDatabase db, String table, UUID tenant) throws SQLException {
        return db.count("SELECT count(*) FROM " + table + " WHERE tenant_id = '" + tenant + "'");
    }

    /** A routing table that pins the moved tenant to {@code cluster}. */
    private Path routing(String name, String cluster) throws Exception {
        return Files.writeString(dir.resolve(name), MOVED + "," + cluster + "\n");
    }

    /** {@code n} opens of the tenant written in a by an edge on {@code inA}, then the tenant moved to b. */
    private void eventsInAThenMovedToB(TestDatabase a, TestDatabase b, Path inA, Path inB, int n) throws Exception {
        try (TestEdge edge = TwoClusterConfig.edge(a, b, inA)) {
            edge.opens(MOVED, "first-", n);
            Await.until(n + " events in a", Duration.ofSeconds(60), () -> rows(a, "email_event_rows", MOVED) == n);
        }
        CliRun moved = CliRun.run(TwoClusterConfig.write(dir.resolve("to-b.conf"), a, b, inB),
                "clusters", "move", "--tenant", MOVED.toString(), "--from", "a");
        assertEquals(0, moved.exit(), moved.err() + moved.out());
    }
}
