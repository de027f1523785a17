package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.db.TenantShare;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * Each of an edge's Postgres sinks moves a cursor row of its own ({@code postgres}, or
 * {@code postgres_<cluster>}), claimed in the database it writes to ({@link CursorClaim}): a database
 * holding another of the edge's clusters' cursor is refused; a sink without a row takes over the one
 * row of a name no longer configured, so that a change of name does not write the journal again, and
 * refuses when there are two.
 */
class CursorNameIT {

    @Test
    void aClustersSinkTakesOverTheCursorOfANameNoLongerConfigured() throws Exception {
        try (TestDatabase testDb = TestDatabase.migrated(); Database db = database(testDb)) {
            UUID node = UUID.randomUUID();
            cursorAt(testDb, node, "postgres", 1234); // before V39, or on one database before clusters were listed
            assertEquals(1234, open(db, node, "postgres_a", "postgres_b"), "taken over: the journal is not written again");
            assertEquals(List.of("postgres_a 1234"), cursors(testDb, node));
            assertEquals(1234, open(db, node, "postgres_a", "postgres_b"), "reopened: its own");

            // Cluster a renamed c (its routing history deleted, as the start-up tells): c takes a's.
            assertEquals(1234, open(db, node, "postgres_c", "postgres_b"));
            assertEquals(List.of("postgres_c 1234"), cursors(testDb, node));

            UUID fresh = UUID.randomUUID();
            assertEquals(0, open(db, fresh, "postgres_a", "postgres_b"), "nothing to take over: from the journal's beginning");
        }
    }

    @Test
    void aDatabaseHoldingAnotherClustersCursorIsRefused() throws Exception {
        try (TestDatabase testDb = TestDatabase.migrated(); Database db = database(testDb)) {
            UUID node = UUID.randomUUID();
            assertEquals(0, open(db, node, "postgres_a", "postgres_b"));
            SQLException refused = assertThrows(SQLException.class, () -> open(db, node, "postgres_b", "postgres_a"));
            assertEquals("55000", refused.getSQLState());
            assertTrue(refused.getMessage().startsWith("this database holds this edge's cursor of cluster a (sink_cursors row postgres_a):"
                    + " clusters a and b of edge.database.clusters reach one database, or did, so postgres_b does not write to it"),
                    refused.getMessage());
            assertEquals(List.of("postgres_a 0"), cursors(testDb, node), "nothing claimed for b");
            assertTrue(refused.getMessage().endsWith("if this database is b's, a's events here were written by mistake: delete"
                    + " its row (DELETE FROM sink_cursors WHERE edge_node = '" + node + "' AND sink = 'postgres_a') and postgres_b"
                    + " writes the journal's events from its beginning"), refused.getMessage());

            // Both rows there (written before this check existed): neither writes.
            cursorAt(testDb, node, "postgres_b", 50);
            assertThrows(SQLException.class, () -> open(db, node, "postgres_a", "postgres_b"));
            assertThrows(SQLException.class, () -> open(db, node, "postgres_b", "postgres_a"));
        }
    }

    /**
     * Before V39 two names reaching one database moved one row, {@code postgres}: the first to connect after the
     * upgrade takes it over, and the row carries the other's progress too. Deleting it would make the other write
     * its events again from the beginning; the refusal says to rename it instead.
     */
    @Test
    void aRowTakenOverFromTheOldSharedCursorIsToBeRenamedNotDeleted() throws Exception {
        try (TestDatabase testDb = TestDatabase.migrated(); Database db = database(testDb)) {
            UUID node = UUID.randomUUID();
            cursorAt(testDb, node, "postgres", 900);
            assertEquals(900, open(db, node, "postgres_b", "postgres_a"), "b connected first");
            assertEquals(List.of("postgres_b postgres"), testDb.rows("SELECT sink || ' ' || taken_over_from FROM sink_cursors"
                    + " WHERE edge_node = '" + node + "'"));
            SQLException refused = assertThrows(SQLException.class, () -> open(db, node, "postgres_a", "postgres_b"));
            assertTrue(refused.getMessage().endsWith("if this database is a's, the row carries the position of the cursor postgres"
                    + " it took over, which postgres_a moved too: rename it (UPDATE sink_cursors SET sink = 'postgres_a',"
                    + " taken_over_from = NULL WHERE edge_node = '" + node + "' AND sink = 'postgres_b'), and b's events written"
                    + " here since are in the wrong database"), refused.getMessage());
        }
    }

    /** An older release run again after the upgrade made a row of its own: which row holds the progress is not known. */
    @Test
    void anOwnRowBesideOneNoClusterNamesIsRefused() throws Exception {
        try (TestDatabase testDb = TestDatabase.migrated(); Database db = database(testDb)) {
            UUID node = UUID.randomUUID();
            cursorAt(testDb, node, "postgres_a", 100);
            cursorAt(testDb, node, "postgres", 300);
            SQLException refused = assertThrows(SQLException.class, () -> open(db, node, "postgres_a", "postgres_b"));
            assertTrue(refused.getMessage().startsWith("this database holds this edge's cursors [postgres, postgres_a]: which is"
                    + " postgres_a's is not known"), refused.getMessage());
        }
    }

    /** Two sinks of one edge connecting at once to one database: the second waits for the first's claim, and sees it. */
    @Test
    void aClaimWaitsForTheOneInFlight() throws Exception {
        try (TestDatabase testDb = TestDatabase.migrated(); Database db = database(testDb); Connection first = testDb.connect()) {
            UUID node = UUID.randomUUID();
            first.setAutoCommit(false);
            try (Statement s = first.createStatement()) { // a's claim, half done: its lock taken, its row not committed yet
                s.execute("SELECT pg_advisory_xact_lock(hashtext('sink_cursors'), hashtext('" + node + "'))");
                s.execute("INSERT INTO sink_cursors (edge_node, sink, position) VALUES ('" + node + "', 'postgres_a', 0)");
            }
            CompletableFuture<Long> second = CompletableFuture.supplyAsync(() -> {
                try {
                    return open(db, node, "postgres_b", "postgres_a");
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            });
            Await.until("b's claim waits on a's lock", Duration.ofSeconds(30), () -> testDb.count("SELECT count(*) FROM pg_locks"
                    + " WHERE locktype = 'advisory' AND NOT granted") == 1);
            first.commit();
            CompletionException refused = assertThrows(CompletionException.class, second::join);
            assertTrue(refused.getCause().getMessage().startsWith("this database holds this edge's cursor of cluster a"),
                    refused.getCause().getMessage());
        }
    }

    @Test
    void theOneDatabasesSinkTakesOverTheCursorOfTheOneClusterItWasAndRefusesTwo() throws Exception {
        try (TestDatabase testDb = TestDatabase.migrated(); Database db = database(testDb)) {
            UUID node = UUID.randomUUID();
            cursorAt(testDb, node, "postgres_a", 500);
            assertEquals(500, open(db, node, PostgresSink.NAME), "clusters given up: the one it was");
            assertEquals(List.of("postgres 500"), cursors(testDb, node));

            UUID two = UUID.randomUUID();
            cursorAt(testDb, two, "postgres_a", 10);
            cursorAt(testDb, two, "postgres_b", 20);
            SQLException refused = assertThrows(SQLException.class, () -> open(db, two, PostgresSink.NAME));
            assertTrue(refused.getMessage().contains("holds this edge's cursors [postgres_a, postgres_b]: which is postgres's is not known"),
                    refused.getMessage());
            assertEquals(List.of("postgres_a 10", "postgres_b 20"), cursors(testDb, two), "nothing written from the beginning");
        }
    }

    /**
     * Two live edges sharing one node id (a data folder copied with its journal's node-id, as a cloned VM image
     * does) would leapfrog one cursor: a cursor another host moved lately is refused, with the way out; once it
     * has been quiet a while (a host renamed and restarted), it is claimed and names this host.
     */
    @Test
    void aCursorAnotherHostMovedLatelyIsRefused() throws Exception {
        try (TestDatabase testDb = TestDatabase.migrated(); Database db = database(testDb)) {
            UUID node = UUID.randomUUID();
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO sink_cursors (edge_node, sink, position, host) VALUES ('" + node + "', 'postgres', 777,"
                        + " 'the-original-vm')");
            }
            java.sql.SQLException e = org.junit.jupiter.api.Assertions.assertThrows(java.sql.SQLException.class,
                    () -> open(db, node, "postgres"));
            assertEquals("55000", e.getSQLState());
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("two edges share one node id"), e.getMessage());
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute("UPDATE sink_cursors SET updated_at = now() - interval '3 minutes' WHERE edge_node = '" + node + "'");
            }
            assertEquals(777, open(db, node, "postgres"), "quiet since: claimed");
            assertEquals(List.of(PostgresSink.hostName()), testDb.rows("SELECT host FROM sink_cursors WHERE edge_node = '" + node + "'"));
            assertEquals(777, open(db, node, "postgres"), "its own host's again: claimed at once");
        }
    }

    private static Database database(TestDatabase testDb) {
        return new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 2);
    }

    private static long open(Database db, UUID node, String name, String... siblings) throws Exception {
        PostgresSink sink = new PostgresSink(db, node, new PostgresSink.Settings(false, 0, true, name,
                (TenantShare) (position, tenant) -> true, Set.of(siblings)));
        try {
            return sink.open();
        } finally {
            sink.close();
        }
    }

    private static void cursorAt(TestDatabase testDb, UUID node, String sink, long position) throws Exception {
        try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO sink_cursors (edge_node, sink, position) VALUES ('" + node + "', '" + sink + "', " + position + ")");
        }
    }

    private static List<String> cursors(TestDatabase testDb, UUID node) throws Exception {
        return testDb.rows("SELECT sink || ' ' || position FROM sink_cursors WHERE edge_node = '" + node + "' ORDER BY sink");
    }
}
