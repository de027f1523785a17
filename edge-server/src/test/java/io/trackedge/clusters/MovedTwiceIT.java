package io.trackedge.clusters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.db.TenantRouting;
import io.trackedge.sink.postgres.PostgresReplay;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tenant moved twice, a to b then b to c: a's mark still says b, b's says c. The events an edge on a
 * table from before either move set aside in a or b are forwarded to c by the edges on the newest table,
 * which follow the marks from cluster to cluster, and written there once. Until 2026-12-08 those set aside
 * in a waited for an operator forever: the edges routed the tenant to c, a's mark said b, and an edge
 * forwarded only where a cluster's own mark says the tenant went.
 */
class MovedTwiceIT {

    private static final UUID MOVED = TestEdge.TENANT;

    @TempDir
    Path dir;

    @Test
    void eventsSetAsideBeforeEitherMoveAreWrittenOnceInTheLastCluster() throws Exception {
        try (TestDatabase a = TestDatabase.create(); TestDatabase b = TestDatabase.create(); TestDatabase c = TestDatabase.create()) {
            String cUrl = "c=" + c.jdbcUrl();
            Path inA = routing("in-a.csv", "a");
            Path inB = routing("in-b.csv", "b");
            Path inC = routing("in-c.csv", "c");
            try (TestEdge first = TwoClusterConfig.edge(a, b, inA, cUrl)) {
                first.opens(MOVED, "first-", 3);
                Await.until("3 events in a", Duration.ofSeconds(60), () -> rows(a, "email_event_rows") == 3);
            }
            move(TwoClusterConfig.write(dir.resolve("to-b.conf"), a, b, inB, cUrl), "a");
            move(TwoClusterConfig.write(dir.resolve("to-c.conf"), a, b, inC, cUrl), "b");
            assertEquals(List.of("b"), a.rows("SELECT moved_to FROM tenants_moved_out"), "a's mark says where the first move went");
            assertEquals(List.of("c"), b.rows("SELECT moved_to FROM tenants_moved_out"));
            assertEquals(0, c.count("SELECT count(*) FROM tenants_moved_out"));
            assertEquals(3, rows(c, "email_event_rows"));

            try (TestEdge middle = TwoClusterConfig.edge(a, b, inB, cUrl)) {
                middle.opens(MOVED, "middle-", 2);
                Await.until("the edge on the middle table's events set aside in b", Duration.ofSeconds(60),
                        () -> b.count("SELECT count(*) FROM bad_events WHERE error_code = 'moved'") == 2);
            }
            try (TestEdge stale = TwoClusterConfig.edge(a, b, inA, cUrl)) {
                stale.opens(MOVED, "stale-", 5);
                Await.until("the edge on the first table's events set aside in a", Duration.ofSeconds(60),
                        () -> a.count("SELECT count(*) FROM bad_events WHERE error_code = 'moved'") == 5);
            }

            try (TestEdge current = TwoClusterConfig.edge(a, b, inC, cUrl)) {
                Await.until("the edge on the newest table forwards both clusters' rows to c and writes them there",
                        Duration.ofSeconds(90), () -> rows(c, "email_event_rows") == 10
                                && a.count("SELECT count(*) FROM bad_events WHERE replayed_at IS NULL") == 0
                                && b.count("SELECT count(*) FROM bad_events WHERE replayed_at IS NULL") == 0);
                Await.until("and counts them", Duration.ofSeconds(10),
                        () -> TestEdge.sample(current.metrics(), "edge_moved_events_forwarded_total") == 7.0);
            }
            assertEquals(10, rows(c, "email_event_rows"), "each once");
            assertEquals(0, rows(a, "email_event_rows"));
            assertEquals(0, rows(b, "email_event_rows"));
            assertEquals(5, a.count("SELECT count(*) FROM bad_events"
                    + " WHERE last_replay_error LIKE 'forwarded to cluster c as bad event % and replayed there'"));
            assertEquals(2, b.count("SELECT count(*) FROM bad_events"
                    + " WHERE last_replay_error LIKE 'forwarded to cluster c as bad event % and replayed there'"));
            assertEquals(List.of("7|7"), c.rows("SELECT count(*) || '|' || count(replayed_at) FROM bad_events"),
                    "the copies, each replayed in c");
        }
    }

    /**
     * Moved a to b to c and back to a: b's mark says c, c's says a, a's is lifted. The edges on the table of
     * the move back forward what an edge on the middle table set aside in b to a, where the marks end, and
     * write in a what an edge on the first table set aside there before the move back.
     */
    @Test
    void eventsSetAsideOnTheWayAreWrittenWhereATenantMovedBackLives() throws Exception {
        try (TestDatabase a = TestDatabase.create(); TestDatabase b = TestDatabase.create(); TestDatabase c = TestDatabase.create()) {
            String cUrl = "c=" + c.jdbcUrl();
            Path inA = routing("in-a.csv", "a");
            Path inB = routing("in-b.csv", "b");
            Path inC = routing("in-c.csv", "c");
            try (TestEdge first = TwoClusterConfig.edge(a, b, inA, cUrl)) {
                first.opens(MOVED, "first-", 2);
                Await.until("2 events in a", Duration.ofSeconds(60), () -> rows(a, "email_event_rows") == 2);
            }
            move(TwoClusterConfig.write(dir.resolve("to-b.conf"), a, b, inB, cUrl), "a");
            move(TwoClusterConfig.write(dir.resolve("to-c.conf"), a, b, inC, cUrl), "b");
            try (TestEdge middle = TwoClusterConfig.edge(a, b, inB, cUrl)) {
                middle.opens(MOVED, "middle-", 2);
                Await.until("set aside in b", Duration.ofSeconds(60),
                        () -> b.count("SELECT count(*) FROM bad_events WHERE error_code = 'moved'") == 2);
            }
            try (TestEdge stale = TwoClusterConfig.edge(a, b, inA, cUrl)) {
                stale.opens(MOVED, "stale-", 3);
                Await.until("set aside in a", Duration.ofSeconds(60),
                        () -> a.count("SELECT count(*) FROM bad_events WHERE error_code = 'moved'") == 3);
            }
            Path backConf = TwoClusterConfig.write(dir.resolve("to-a.conf"), a, b, inA, cUrl);
            move(backConf, "c");
            assertEquals(0, a.count("SELECT count(*) FROM tenants_moved_out"), "a's mark lifted");
            assertEquals(List.of("a"), c.rows("SELECT moved_to FROM tenants_moved_out"));
            assertEquals(List.of("c"), b.rows("SELECT moved_to FROM tenants_moved_out"));

            try (TestEdge current = TwoClusterConfig.edge(a, b, inA, cUrl)) {
                Await.until("b's rows forwarded to a and a's written there", Duration.ofSeconds(90),
                        () -> rows(a, "email_event_rows") == 7
                                && a.count("SELECT count(*) FROM bad_events WHERE replayed_at IS NULL") == 0
                                && b.count("SELECT count(*) FROM bad_events WHERE replayed_at IS NULL") == 0);
                Await.until("and counts them", Duration.ofSeconds(10),
                        () -> TestEdge.sample(current.metrics(), "edge_moved_events_forwarded_total") == 5.0);
            }
            assertEquals(7, rows(a, "email_event_rows"), "each once");
            assertEquals(0, rows(b, "email_event_rows"));
            assertEquals(0, rows(c, "email_event_rows"));
            assertEquals(2, b.count("SELECT count(*) FROM bad_events"
                    + " WHERE last_replay_error LIKE 'forwarded to cluster a as bad event % and replayed there'"));
        }
    }

    /**
     * The marks' chain read by one forwarder: one whose table sends the tenant to b, which b's own mark says
     * it left, leaves a's rows alone (written nowhere, copied nowhere); one whose table sends it where the
     * chain ends forwards them straight there; marks that go round (never left so by moves, but read by a
     * run at different moments) forward nothing, and the run ends.
     */
    @Test
    void aForwarderFollowsTheMarksToTheirEndAndOnlyThere() throws Exception {
        try (TestDatabase a = TestDatabase.migrated(); TestDatabase b = TestDatabase.migrated(); TestDatabase c = TestDatabase.migrated()) {
            mark(a, "b");
            mark(b, "c");
            try (TestEdge stale = TwoClusterConfig.edge(a, b, routing("in-a.csv", "a"), "c=" + c.jdbcUrl())) {
                stale.opens(MOVED, "stale-", 3);
                Await.until("the events set aside in a", Duration.ofSeconds(60),
                        () -> a.count("SELECT count(*) FROM bad_events WHERE error_code = 'moved'") == 3);
            }
            try (Database da = db(a); Database db = db(b); Database dc = db(c)) {
                Map<String, Database> all = Map.of("a", da, "b", db, "c", dc);

                MovedEventsForwarder middle = forwarder(da, all, "b");
                middle.run();
                assertEquals(0, middle.forwarded());
                assertEquals(0, b.count("SELECT count(*) FROM bad_events"), "nothing copied into b, which the tenant left");
                assertEquals(3, a.count("SELECT count(*) FROM bad_events WHERE replayed_at IS NULL AND last_replay_error IS NULL"));

                mark(c, "b"); // b says c, c says b
                MovedEventsForwarder round = forwarder(da, all, "c");
                round.run();
                assertEquals(0, round.forwarded());
                assertEquals(0, c.count("SELECT count(*) FROM bad_events"));

                try (java.sql.Connection cc = c.connect(); java.sql.Statement s = cc.createStatement()) {
                    s.execute("DELETE FROM tenants_moved_out");
                }
                MovedEventsForwarder newest = forwarder(da, all, "c");
                newest.run();
                assertEquals(3, newest.forwarded());
            }
            assertEquals(3, rows(c, "email_event_rows"));
            assertEquals(0, rows(b, "email_event_rows"));
            assertEquals(0, a.count("SELECT count(*) FROM bad_events WHERE replayed_at IS NULL"));
        }
    }

    /**
     * A forward from a to b that wrote its copy in b and stopped before marking a's rows (a crash between the
     * two), then the tenant moved on to c, which took the events written in b with it but not the copies:
     * the forward to c, where the marks end now, marks a's rows and writes nothing twice.
     */
    @Test
    void aRowAnEarlierForwardWroteInAClusterLeftSinceIsMarkedNotWrittenAgain() throws Exception {
        try (TestDatabase a = TestDatabase.create(); TestDatabase b = TestDatabase.create(); TestDatabase c = TestDatabase.create()) {
            String cUrl = "c=" + c.jdbcUrl();
            Path inA = routing("in-a.csv", "a");
            Path inB = routing("in-b.csv", "b");
            oneEventIn(a, b, inA, cUrl);
            move(TwoClusterConfig.write(dir.resolve("to-b.conf"), a, b, inB, cUrl), "a");
            threeSetAsideByAStaleEdge(a, b, inA, cUrl);
            try (Database da = db(a); Database db = db(b); Database dc = db(c)) {
                Map<String, Database> all = Map.of("a", da, "b", db, "c", dc);
                MovedEventsForwarder toB = forwarder(da, all, "b");
                toB.run();
                assertEquals(3, toB.forwarded());
                assertEquals(4, rows(b, "email_event_rows"));
                asIfTheForwardStoppedBeforeItsMark(a);
                move(TwoClusterConfig.write(dir.resolve("to-c.conf"), a, b, routing("in-c.csv", "c"), cUrl), "b");
                assertEquals(4, rows(c, "email_event_rows"), "the move took the events the forward wrote in b");

                MovedEventsForwarder toC = forwarder(da, all, "c");
                toC.run();
                assertEquals(0, toC.forwarded(), "nothing written again");
            }
            assertEquals(4, rows(c, "email_event_rows"), "each event once");
            assertEquals(0, c.count("SELECT count(*) FROM bad_events"), "nothing copied into c");
            assertEquals(3, a.count("SELECT count(*) FROM bad_events"
                    + " WHERE last_replay_error LIKE 'forwarded to cluster b as bad event % and replayed there'"));
        }
    }

    /**
     * The same stopped forward, to c this time, then a move back from c into b, which lifts b's mark: the
     * marks from a now end at b with nothing on the way, and only the tenant's moves say that c, where the
     * copy was written, is where the event came from. The forward to b marks a's rows and writes nothing twice,
     * and so does {@code bad-events replay --cluster a} by hand.
     */
    @ParameterizedTest(name = "by hand: {0}")
    @ValueSource(booleans = {false, true})
    void aRowWrittenInAClusterThatAMoveBackTookOffTheWayIsMarkedNotWrittenAgain(boolean byHand) throws Exception {
        try (TestDatabase a = TestDatabase.create(); TestDatabase b = TestDatabase.create(); TestDatabase c = TestDatabase.create()) {
            String cUrl = "c=" + c.jdbcUrl();
            Path inA = routing("in-a.csv", "a");
            Path inB = routing("in-b.csv", "b");
            Path inC = routing("in-c.csv", "c");
            oneEventIn(a, b, inA, cUrl);
            move(TwoClusterConfig.write(dir.resolve("to-b.conf"), a, b, inB, cUrl), "a");
            move(TwoClusterConfig.write(dir.resolve("to-c.conf"), a, b, inC, cUrl), "b");
            threeSetAsideByAStaleEdge(a, b, inA, cUrl);
            try (Database da = db(a); Database db = db(b); Database dc = db(c)) {
                Map<String, Database> all = Map.of("a", da, "b", db, "c", dc);
                MovedEventsForwarder toC = forwarder(da, all, "c");
                toC.run();
                assertEquals(3, toC.forwarded());
                assertEquals(4, rows(c, "email_event_rows"));
                asIfTheForwardStoppedBeforeItsMark(a);
                Path backToB = TwoClusterConfig.write(dir.resolve("back-to-b.conf"), a, b, inB, cUrl);
                move(backToB, "c");
                assertEquals(0, b.count("SELECT count(*) FROM tenants_moved_out"), "b's mark lifted");
                assertEquals(4, rows(b, "email_event_rows"), "the move back took the events the forward wrote in c");

                if (byHand) {
                    CliRun replay = CliRun.run(backToB, "bad-events", "replay", "--cluster", "a");
                    assertEquals(0, replay.exit(), replay.err() + replay.out());
                } else {
                    MovedEventsForwarder toB = forwarder(da, all, "b");
                    toB.run();
                    assertEquals(0, toB.forwarded(), "nothing written again");
                }
            }
            assertEquals(4, rows(b, "email_event_rows"), "each event once");
            assertEquals(3, a.count("SELECT count(*) FROM bad_events"
                    + " WHERE last_replay_error LIKE 'forwarded to cluster c as bad event % and replayed there'"));
        }
    }

    /**
     * A forward to b stopped before marking a's rows, then the tenant moved back from b to a: a replay by hand
     * on a, where the rows are routed now, marks them instead of writing in a the events the move back brought.
     */
    @Test
    void aReplayByHandAfterAMoveBackWritesNothingTwice() throws Exception {
        try (TestDatabase a = TestDatabase.create(); TestDatabase b = TestDatabase.create(); TestDatabase c = TestDatabase.create()) {
            String cUrl = "c=" + c.jdbcUrl();
            Path inA = routing("in-a.csv", "a");
            oneEventIn(a, b, inA, cUrl);
            move(TwoClusterConfig.write(dir.resolve("to-b.conf"), a, b, routing("in-b.csv", "b"), cUrl), "a");
            threeSetAsideByAStaleEdge(a, b, inA, cUrl);
            try (Database da = db(a); Database db = db(b); Database dc = db(c)) {
                MovedEventsForwarder toB = forwarder(da, Map.of("a", da, "b", db, "c", dc), "b");
                toB.run();
                assertEquals(3, toB.forwarded());
            }
            asIfTheForwardStoppedBeforeItsMark(a);
            Path back = TwoClusterConfig.write(dir.resolve("back.conf"), a, b, inA, cUrl);
            move(back, "b");
            assertEquals(4, rows(a, "email_event_rows"), "the move back took the events the forward wrote in b");

            CliRun replay = CliRun.run(back, "bad-events", "replay", "--cluster", "a");
            assertEquals(0, replay.exit(), replay.err() + replay.out());
            assertEquals(4, rows(a, "email_event_rows"), "each event once");
            assertEquals(3, a.count("SELECT count(*) FROM bad_events"
                    + " WHERE last_replay_error LIKE 'forwarded to cluster b as bad event % and replayed there'"));
        }
    }

    private static void oneEventIn(TestDatabase a, TestDatabase b, Path inA, String cUrl) throws Exception {
        try (TestEdge first = TwoClusterConfig.edge(a, b, inA, cUrl)) {
            first.opens(MOVED, "first-", 1);
            Await.until("an event in a", Duration.ofSeconds(60), () -> rows(a, "email_event_rows") == 1);
        }
    }

    /** Three events of the moved tenant from an edge on the table that still sends it to a: set aside there. */
    private static void threeSetAsideByAStaleEdge(TestDatabase a, TestDatabase b, Path inA, String cUrl) throws Exception {
        try (TestEdge stale = TwoClusterConfig.edge(a, b, inA, cUrl)) {
            stale.opens(MOVED, "stale-", 3);
            Await.until("the stale edge's events set aside in a", Duration.ofSeconds(60),
                    () -> a.count("SELECT count(*) FROM bad_events WHERE error_code = 'moved'") == 3);
        }
    }

    /** As if the forward of a's three rows had stopped before its last step, marking them. */
    private static void asIfTheForwardStoppedBeforeItsMark(TestDatabase a) throws SQLException {
        try (java.sql.Connection ca = a.connect(); java.sql.Statement s = ca.createStatement()) {
            assertEquals(3, s.executeUpdate("UPDATE bad_events SET replayed_at = NULL, last_replay_error = NULL,"
                    + " attempts = 0 WHERE error_code = 'moved'"));
        }
    }

    private static MovedEventsForwarder forwarder(Database here, Map<String, Database> all, String routedTo) {
        return new MovedEventsForwarder("a", here, all, TenantRouting.of(List.of("a", "b", "c"), Map.of(MOVED, routedTo)),
                new ClusterIdentities(List.of("a", "b", "c")), PostgresReplay::new);
    }

    private static Database db(TestDatabase t) {
        return new Database(new PostgresConnectionInfo(t.jdbcUrl(), "postgres", null), 2);
    }

    private static void mark(TestDatabase in, String to) throws SQLException {
        try (java.sql.Connection c = in.connect(); java.sql.Statement s = c.createStatement()) {
            s.execute("INSERT INTO tenants_moved_out (tenant_id, moved_to) VALUES ('" + MOVED + "', '" + to + "')");
        }
    }

    private void move(Path config, String from) {
        CliRun moved = CliRun.run(config, "clusters", "move", "--tenant", MOVED.toString(), "--from", from);
        assertEquals(0, moved.exit(), moved.err() + moved.out());
    }

    private static long rows(TestDatabase db, String table) throws SQLException {
        return db.count("SELECT count(*) FROM " + table + " WHERE tenant_id = '" + MOVED + "'");
    }

    /** A routing table that pins the moved tenant to {@code cluster}. */
    private Path routing(String name, String cluster) throws Exception {
        return Files.writeString(dir.resolve(name), MOVED + "," + cluster + "\n");
    }
}
