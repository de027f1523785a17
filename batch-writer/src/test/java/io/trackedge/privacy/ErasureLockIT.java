package io.trackedge.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.trackedge.db.LockWait;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An erasure beside two sink batches in flight, where the later batch holds {@code erasure_audit}
 * in SHARE mode and waits in Java for the earlier one (as {@code BatchWriter} does before it locks
 * its cursor), and the earlier one asks for the same lock only after the erasure queued for it.
 * PostgreSQL sees two waits and no cycle; the third edge is Java's. The erasure gives up its request
 * after its lock wait, so the earlier batch goes through, then the later one, then the erasure.
 */
class ErasureLockIT {

    private static final UUID TENANT = UUID.fromString("99999999-9999-4999-8999-999999999999");

    @Test
    void anErasureQueuedBetweenTwoBatchesLetsThemThrough() throws Exception {
        // Own threads: the common pool may have one, and the two tasks must run side by side.
        try (TestDatabase db = TestDatabase.migrated(); ExecutorService threads = Executors.newFixedThreadPool(2);
             Connection later = db.connect(); Connection earlier = db.connect(); Connection erasing = db.connect()) {
            try (Statement s = erasing.createStatement()) {
                s.execute("INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, email_id, edge_no) VALUES "
                        + "(gen_random_uuid(), 'open', now(), '" + TENANT + "', gen_random_uuid(), 'gone', 1)");
            }
            later.setAutoCommit(false);
            earlier.setAutoCommit(false);
            share(later);

            LockWait wait = new LockWait(Duration.ofMillis(300), 50, Duration.ofMillis(50));
            CompletableFuture<Erasure.Result> erasure = CompletableFuture.supplyAsync(() -> {
                try {
                    return Erasure.erase(erasing, TENANT, "gone", "test:lock", wait);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            }, threads);
            Await.until("the erasure queued behind the later batch", Duration.ofSeconds(30), () -> waiting(db) == 1);

            CompletableFuture<Void> earlierBatch = CompletableFuture.runAsync(() -> {
                try {
                    share(earlier);
                    earlier.commit();
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            }, threads);
            // The later batch commits only after the earlier one, as the commit pipeline keeps them.
            earlierBatch.get(30, TimeUnit.SECONDS);
            assertFalse(erasure.isDone(), "the erasure still waits for the later batch");
            later.commit();

            Erasure.Result r = erasure.get(30, TimeUnit.SECONDS);
            assertEquals(1L, r.deleted().get("email_events"));
            assertEquals(0, db.count("SELECT count(*) FROM email_events WHERE email_id = 'gone'"));
        }
    }

    /** The erasure's deletes after its lock wait as they always did: only the lock itself gives up. */
    @Test
    void theStatementsAfterTheLockWaitAsBefore() throws Exception {
        try (TestDatabase db = TestDatabase.migrated(); Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("SET lock_timeout = '7s'");
            c.setAutoCommit(false);
            new LockWait(Duration.ofMillis(250), 1, Duration.ZERO).runThenWaitAsBefore(c, "LOCK TABLE erasure_audit IN ROW EXCLUSIVE MODE");
            try (var rs = s.executeQuery("SHOW lock_timeout")) {
                rs.next();
                assertEquals("7s", rs.getString(1));
            }
            c.rollback();
        }
    }

    private static void share(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("LOCK TABLE erasure_audit IN SHARE MODE");
        }
    }

    private static long waiting(TestDatabase db) throws SQLException {
        return db.count("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'erasure_audit'::regclass");
    }
}
