package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.db.TenantShare;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.privacy.PrivacyPolicy;
import io.trackedge.sink.Batch;
import io.trackedge.sink.JournalClassifier;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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

    /**
     * Two live edges of one node id, both quiet past {@link CursorClaim#ANOTHER_HOST_QUIET}: the second host's claim
     * takes the row, and from then on the first host's batches are refused with why (55000), not written. Taken,
     * its batch would move the cursor over a range of its own journal, and the second host, finding the cursor
     * moved, would skip as much of its own journal: a range lost at each hand-over.
     */
    @Test
    void aHostWhoseCursorAnotherHostClaimedSinceIsRefusedAtItsNextBatch() throws Exception {
        try (TestDatabase testDb = TestDatabase.migrated(); Database db = database(testDb)) {
            UUID node = UUID.randomUUID();
            PostgresSink first = sink(db, node, "vm-1");
            PostgresSink second = sink(db, node, "vm-2");
            try {
                assertEquals(0, first.open());
                EventRecord before = event();
                assertEquals(1, first.write(Batch.of(0, 100, List.of(before), new long[] {0})).join());
                try (Connection c = testDb.connect(); Statement s = c.createStatement()) { // both quiet since
                    s.execute("UPDATE sink_cursors SET updated_at = now() - interval '3 minutes' WHERE edge_node = '" + node + "'");
                }
                assertEquals(100, second.open(), "quiet: claimed by the second host");

                EventRecord firstsNext = event();
                CompletionException refused = assertThrows(CompletionException.class,
                        () -> first.write(Batch.of(100, 200, List.of(firstsNext), new long[] {100})).join());
                SQLException why = (SQLException) refused.getCause();
                assertEquals("55000", why.getSQLState());
                assertTrue(why.getMessage().startsWith("the postgres cursor of node " + node + " was claimed by host vm-2 since"
                        + " vm-1 claimed it: two edges share one node id"), why.getMessage());

                EventRecord secondsNext = event();
                assertEquals(1, second.write(Batch.of(100, 200, List.of(secondsNext), new long[] {100})).join(),
                        "the second host writes on: its range is not skipped");
                assertEquals(List.of("200 vm-2"), testDb.rows("SELECT position || ' ' || host FROM sink_cursors WHERE edge_node = '"
                        + node + "'"));
                assertEquals(List.of(before.id().toString(), secondsNext.id().toString()).stream().sorted().toList(),
                        testDb.rows("SELECT event_id::text FROM email_event_rows ORDER BY 1"), "nothing of the refused batch");

                SQLException reopened = assertThrows(SQLException.class, first::open);
                assertTrue(reopened.getMessage().contains("two edges share one node id"), "nor after a reopen: " + reopened.getMessage());
            } finally {
                first.close();
                second.close();
            }
        }
    }

    private static PostgresSink sink(Database db, UUID node, String host) {
        return new PostgresSink(db, node, new PostgresSink.Settings(false, 0, true, PostgresSink.NAME,
                (TenantShare) (position, tenant) -> true, Set.of()), JournalClassifier.disabled(), PrivacyPolicy.keepAll(),
                System::currentTimeMillis, host);
    }

    private static EventRecord event() {
        long now = System.currentTimeMillis() * 1000;
        return new EventRecord(UUID.randomUUID(), EventType.OPEN, 0, now, null, "Mozilla/5.0 (test)",
                new EventFields(UUID.randomUUID(), UUID.randomUUID(), "camp", "mbox", "email", "lead", "step", null), null, Map.of());
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
