package io.trackedge.clusters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.sink.postgres.TenantRewrites;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.CliRun;
import io.trackedge.testing.TestEdge;
import io.trackedge.testing.TwoClusterConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code trackedge clusters move} refuses, what it waits for and what it leaves to a second run
 * (docs/clusters.md, "Moving a tenant"): clusters whose newest migrations differ, unfinished moves of the tenant
 * that a second copy would double, days whose raw events retention dropped, an erasure that comes while the
 * move runs, and rows that arrive in the source meanwhile.
 * The tenant's rows are written with SQL into cluster a; the routing table sends it to b.
 */
class TenantMoveGuardsIT {

    private static final UUID TENANT = UUID.fromString("55555555-5555-4555-8555-555555555555");

    @TempDir
    Path dir;

    @Test
    void clustersWhoseNewestMigrationsDifferAreRefused() throws Exception {
        try (TestDatabase a = TestDatabase.migrated(); TestDatabase b = TestDatabase.migrated()) {
            Path config = config(a, b);
            events(a, "e-1", "e-2");
            sql(b, "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, installed_by, "
                    + "execution_time, success) VALUES (999, '999', 'a later release', 'SQL', 'V999__later.sql', 'test', 0, true)");

            CliRun refused = move(config);
            assertEquals(1, refused.exit(), refused.err() + refused.out());
            assertTrue(refused.err().contains("the clusters' schemas differ") && refused.err().contains("run trackedge migrate first"),
                    refused.err());
            assertEquals(2, events(a), "nothing moved");
            assertEquals(0, events(b));

            sql(b, "DELETE FROM flyway_schema_history WHERE version = '999'");
            CliRun moved = move(config);
            assertEquals(0, moved.exit(), moved.err() + moved.out());
            assertEquals(2, events(b));
        }
    }

    /**
     * A move into {@code a} from a third cluster that stopped between its commits leaves the tenant's
     * rows in both: moving the tenant on out of {@code a} (the routing table changed back, or on) would
     * copy them again and leave the first copy behind. Refused until that move is finished.
     */
    @Test
    void aMoveOutOfAClusterThatAMoveIntoItLeftUnfinishedIsRefused() throws Exception {
        try (TestDatabase a = TestDatabase.migrated(); TestDatabase b = TestDatabase.migrated()) {
            Path config = config(a, b);
            events(a, "e-1");
            sql(a, "INSERT INTO tenant_moves (tenant_id, from_cluster, to_cluster, state, copied, fingerprints) VALUES ('"
                    + TENANT + "', 'c', 'a', 'copied', '{}', '{}')");
            CliRun refused = move(config);
            assertEquals(1, refused.exit(), refused.err() + refused.out());
            assertTrue(refused.err().contains("a move of tenant " + TENANT + " from c into a stopped before it deleted the rows from c"),
                    refused.err());
            assertEquals(1, events(a), "nothing moved");
            assertEquals(0, events(b));

            sql(a, "UPDATE tenant_moves SET state = 'done', finished_at = now()");
            CliRun moved = move(config);
            assertEquals(0, moved.exit(), moved.err() + moved.out());
            assertEquals(1, events(b));
        }
    }

    /**
     * A move from {@code a} into {@code b} that stopped between its commits left a copy in b; the tenant,
     * pinned to a third cluster {@code c} instead, must not be moved from a into c as well (b and c would
     * both hold a's rows, counted twice). Neither c nor a holds that record: only b does.
     */
    @Test
    void aMoveFromTheSameClusterLeftUnfinishedInAThirdClusterIsRefused() throws Exception {
        try (TestDatabase a = TestDatabase.migrated(); TestDatabase b = TestDatabase.migrated(); TestDatabase c = TestDatabase.migrated()) {
            Path table = dir.resolve("routing.csv");
            Files.writeString(table, TENANT + ",c\n");
            Path config = TwoClusterConfig.write(dir.resolve("edge.conf"), a, b, table, "c=" + c.jdbcUrl());
            events(a, "e-1");
            sql(b, "INSERT INTO tenant_moves (tenant_id, from_cluster, to_cluster, state, copied, fingerprints) VALUES ('"
                    + TENANT + "', 'a', 'b', 'copied', '{}', '{}')");

            CliRun refused = move(config);
            assertEquals(1, refused.exit(), refused.err() + refused.out());
            assertTrue(refused.err().contains("a move of tenant " + TENANT + " from a into b stopped before it deleted the rows from a"
                    + " (tenant_moves in b)") && refused.err().contains("--tenant " + TENANT + " --from a"), refused.err());
            assertEquals(0, events(c), "nothing copied into c");
            assertEquals(1, events(a), "nothing moved");
            assertEquals(0, a.count("SELECT count(*) FROM tenants_moved_out"), "a not marked");

            sql(b, "UPDATE tenant_moves SET state = 'done', finished_at = now()");
            CliRun moved = move(config);
            assertEquals(0, moved.exit(), moved.err() + moved.out());
            assertEquals(1, events(c));
        }
    }

    /**
     * Raw events of a day the destination's retention dropped would land there past retention; numbers
     * of a dropped day that both clusters hold cannot be recounted into one. Held by one cluster
     * only, such a day's roll-up rows are copied as they are.
     */
    @Test
    void daysRetentionDroppedAreRefusedWhereTheyWouldMixAndCopiedWhereTheyDoNot() throws Exception {
        try (TestDatabase a = TestDatabase.migrated(); TestDatabase b = TestDatabase.migrated()) {
            Path config = config(a, b);
            sql(a, "INSERT INTO edge_nodes (edge_node) VALUES (gen_random_uuid())");
            sql(a, event("e-old", "current_date - 45"));
            sql(b, "INSERT INTO email_events_dropped_through (day) VALUES (current_date - 40)");
            CliRun rawDropped = move(config);
            assertEquals(1, rawDropped.exit(), rawDropped.err() + rawDropped.out());
            assertTrue(rawDropped.err().contains("of days the destination's retention dropped (up to "), rawDropped.err());
            assertEquals(1, events(a), "nothing moved");

            sql(a, "DELETE FROM email_event_rows WHERE tenant_id = '" + TENANT + "'"); // a's own retention ran
            sql(a, "INSERT INTO email_events_dropped_through (day) VALUES (current_date - 40)");
            for (TestDatabase db : List.of(a, b)) {
                sql(db, daily("current_date - 42", 3));
            }
            CliRun both = move(config);
            assertEquals(1, both.exit(), both.err() + both.out());
            assertTrue(both.err().contains("has numbers in both clusters for days whose raw events retention dropped"), both.err());
            assertEquals(1, a.count("SELECT count(*) FROM daily_analytics WHERE tenant_id = '" + TENANT + "'"), "nothing moved");

            sql(b, "DELETE FROM daily_analytics WHERE tenant_id = '" + TENANT + "'");
            sql(a, daily("current_date - 43", 4)); // a second day, a's alone too
            CliRun alone = move(config);
            assertEquals(0, alone.exit(), alone.err() + alone.out());
            assertEquals(List.of("3", "4"), b.rows("SELECT opens_total FROM daily_analytics WHERE tenant_id = '" + TENANT + "' ORDER BY date DESC"),
                    "copied as they are: no raw events to recount them from");
            assertEquals(0, b.count("SELECT count(*) FROM analytics_jobs WHERE tenant_id = '" + TENANT + "'"), "no recount of a dropped day");
        }
    }

    /**
     * An erasure of one of the tenant's recipients, asked while the move runs, waits for it, and then
     * erases the rows the move brought into b. Without the move's hold on erasures, the erasure would
     * run in b before the copy lands and in a before its delete (the move then fails), or leave the
     * copies in b.
     */
    @Test
    @Timeout(120) // the executor's close waits for a CLI run that hangs
    void anErasureAskedDuringAMoveWaitsForItAndErasesWhatItBrought() throws Exception {
        try (TestDatabase a = TestDatabase.migrated(); TestDatabase b = TestDatabase.migrated()) {
            Path config = config(a, b);
            events(a, "e-gone", "e-kept");
            CompletableFuture<CliRun> move;
            CompletableFuture<CliRun> erase;
            // Threads of their own: the common pool may have one, and the erasure must not wait for the move's thread.
            try (ExecutorService threads = Executors.newFixedThreadPool(2); Connection hold = b.connect();
                    Statement s = hold.createStatement()) {
                hold.setAutoCommit(false);
                // Read right after the move's snapshot of a: the move waits there, its hold on erasures taken.
                s.execute("LOCK TABLE tenant_moves IN ACCESS EXCLUSIVE MODE");
                move = CompletableFuture.supplyAsync(() -> move(config), threads);
                // From here the move waits at most its lock_timeout (10 s) for the hold: the erasure
                // must start and queue within it (it takes about half a second).
                awaitWaiting(b, "tenant_moves", move);
                erase = CompletableFuture.supplyAsync(() -> CliRun.run(config, "erase", "--tenant", TENANT.toString(), "--email", "e-gone"),
                        threads);
                awaitWaiting(b, "LOCK TABLE erasure_audit", erase);
                assertEquals(2, events(a), "the erasure has not gone on to a");
                hold.commit();
                CliRun moved = move.get(60, TimeUnit.SECONDS);
                assertEquals(0, moved.exit(), moved.err() + moved.out());
                CliRun erased = erase.get(60, TimeUnit.SECONDS);
                assertEquals(0, erased.exit(), erased.err() + erased.out());
            }
            assertEquals(List.of("e-kept"), b.rows("SELECT email_id FROM email_event_rows WHERE tenant_id = '" + TENANT + "'"));
            assertEquals(0, events(a));
            for (TestDatabase db : List.of(a, b)) {
                assertEquals(1, db.count("SELECT count(*) FROM erasure_audit WHERE tenant_id = '" + TENANT + "'"), "audited in each");
            }
        }
    }

    /**
     * A row of the tenant that arrives in a after the move's snapshot (a sink that had not passed the
     * routing change, a job of a) stays there: the command says so and exits 1, and a second run
     * moves it.
     */
    @Test
    @Timeout(120)
    void rowsArrivingDuringAMoveStayForASecondRun() throws Exception {
        try (TestDatabase a = TestDatabase.migrated(); TestDatabase b = TestDatabase.migrated()) {
            Path config = config(a, b);
            events(a, "e-1", "e-2");
            sql(a, daily("current_date", 2));
            CompletableFuture<CliRun> move;
            try (ExecutorService thread = Executors.newSingleThreadExecutor(); Connection hold = b.connect();
                    Statement s = hold.createStatement()) {
                hold.setAutoCommit(false);
                s.execute("LOCK TABLE tenant_moves IN ACCESS EXCLUSIVE MODE");
                move = CompletableFuture.supplyAsync(() -> move(config), thread);
                awaitWaiting(b, "tenant_moves", move);
                sql(a, "INSERT INTO daily_analytics (tenant_id, user_id, date, opens_total) VALUES ('" + TENANT
                        + "', gen_random_uuid(), current_date, 5)");
                hold.commit();
            }
            CliRun first = move.get(60, TimeUnit.SECONDS);
            assertEquals(1, first.exit(), first.err() + first.out());
            assertTrue(first.err().contains("1 rows of tenant " + TENANT + " arrived in a during the move"), first.err());
            assertEquals(2, events(b));
            assertEquals(List.of("5"), a.rows("SELECT opens_total FROM daily_analytics WHERE tenant_id = '" + TENANT + "'"));

            CliRun second = move(config);
            assertEquals(0, second.exit(), second.err() + second.out());
            assertTrue(second.out().contains("moved tenant " + TENANT + " from a to b: 1 rows"), second.out());
            assertEquals(0, a.count("SELECT count(*) FROM daily_analytics WHERE tenant_id = '" + TENANT + "'"));
            assertEquals(List.of("2", "5"), b.rows("SELECT opens_total FROM daily_analytics WHERE tenant_id = '" + TENANT
                    + "' ORDER BY opens_total"));
        }
    }

    /**
     * A roll-up job of b recounting a day both clusters have raw events of the tenant, still running
     * when the move's lock wait (10 s) is over: the move refuses with nothing done, and a run after the
     * job moves the tenant. Here the job is a transaction holding an every-tenant campaign job's lock.
     */
    @Test
    @Timeout(120)
    void aJobKeepingADayPastTheLockWaitRefusesTheMove() throws Exception {
        try (TestDatabase a = TestDatabase.migrated(); TestDatabase b = TestDatabase.migrated()) {
            Path config = config(a, b);
            events(a, "e-1");
            events(b, "e-2");
            try (Connection job = b.connect(); Statement s = job.createStatement()) {
                job.setAutoCommit(false);
                s.execute("SELECT pg_advisory_xact_lock(hashtextextended('trackedge.rollup:campaign_analytics:' || (SELECT"
                        + " (occurred_at AT TIME ZONE 'UTC')::date FROM email_event_rows), 0))");

                CliRun refused = move(config);
                assertEquals(1, refused.exit(), refused.err() + refused.out());
                assertTrue(refused.err().contains("a roll-up job of b kept a day of tenant " + TENANT + " longer than the move waits"
                        + " for a lock (10s); nothing was moved: run the move again"), refused.err());
                assertEquals(1, events(a), "nothing moved");
                job.rollback();
            }
            CliRun moved = move(config);
            assertEquals(0, moved.exit(), moved.err() + moved.out());
            assertEquals(2, events(b));
        }
    }

    /**
     * A sink batch of b correcting the tenant's verdicts ({@link TenantRewrites}), here a transaction
     * holding its lock, still running past the move's lock wait: the move refuses with nothing done,
     * and a run after the batch moves the tenant.
     */
    @Test
    @Timeout(120)
    void aBatchCorrectingTheTenantPastTheLockWaitRefusesTheMove() throws Exception {
        try (TestDatabase a = TestDatabase.migrated(); TestDatabase b = TestDatabase.migrated()) {
            Path config = config(a, b);
            events(a, "e-1");
            events(b, "e-2");
            try (Connection batch = b.connect()) {
                batch.setAutoCommit(false);
                TenantRewrites.holdShared(batch, List.of(TENANT));

                CliRun refused = move(config);
                assertEquals(1, refused.exit(), refused.err() + refused.out());
                assertTrue(refused.err().contains("a sink batch or re-score of b correcting tenant " + TENANT + "'s verdicts held it"
                        + " longer than the move waits for a lock (10s); nothing was moved: run the move again"), refused.err());
                assertEquals(1, events(a), "nothing moved");
                batch.rollback();
            }
            CliRun moved = move(config);
            assertEquals(0, moved.exit(), moved.err() + moved.out());
            assertEquals(2, events(b));
        }
    }

    private Path config(TestDatabase a, TestDatabase b) throws Exception {
        Path table = dir.resolve("routing.csv");
        Files.writeString(table, TENANT + ",b\n");
        return TwoClusterConfig.write(dir.resolve("edge.conf"), a, b, table);
    }

    private static CliRun move(Path config) {
        return CliRun.run(config, "clusters", "move", "--tenant", TENANT.toString(), "--from", "a");
    }

    /** Until a session of {@code db} running a statement that holds {@code text} waits for a lock; fails early if the run ended. */
    private static void awaitWaiting(TestDatabase db, String text, CompletableFuture<CliRun> run) {
        Await.until("a statement with \"" + text + "\" waiting for a lock in " + db.jdbcUrl(), Duration.ofSeconds(30), () -> {
            if (run.isDone()) {
                CliRun r = run.join();
                throw new AssertionError("ended before it waited: exit " + r.exit() + ", " + r.err() + r.out());
            }
            return db.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    + " AND state = 'active'"
                    + " AND pid <> pg_backend_pid() AND position('" + text + "' IN query) > 0") > 0;
        });
    }

    /** A sent event of each email, an hour ago, and the edge number it names. */
    private static void events(TestDatabase db, String... emails) throws SQLException {
        sql(db, "INSERT INTO edge_nodes (edge_node) VALUES (gen_random_uuid())");
        for (String email : emails) {
            sql(db, event(email, "now() - interval '1 hour'"));
        }
    }

    private static String event(String email, String at) {
        return "INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, email_id, edge_no) VALUES ("
                + "gen_random_uuid(), 'sent', " + at + ", '" + TENANT + "', '" + TestEdge.USER + "', '" + email + "', 1)";
    }

    private static String daily(String date, int opens) {
        return "INSERT INTO daily_analytics (tenant_id, user_id, date, opens_total) VALUES ('" + TENANT + "', '" + TestEdge.USER
                + "', " + date + ", " + opens + ")";
    }

    private static long events(TestDatabase db) throws SQLException {
        return db.count("SELECT count(*) FROM email_event_rows WHERE tenant_id = '" + TENANT + "'");
    }

    private static void sql(TestDatabase db, String statement) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }
}
