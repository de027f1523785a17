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
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An erasure beside two sink batches in flight, where the later batch holds {@code erasure_audit}
 * in SHARE mode and waits in Java for the earlier one (as {@code BatchWriter} does before it locks
 * its cursor), and the earlier one asks for the same lock only after the erasure queued for it.
 * PostgreSQL sees two waits and no cycle; the third edge is Java's. The erasure gives up its request
 * after its lock wait, so the earlier batch goes through, then the later one, then the erasure. The
 * same for the audit row's PostHog answer, written after the erasure.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // without the wait nothing here ever ends
class ErasureLockIT {

    private static final UUID TENANT = UUID.fromString("99999999-9999-4999-8999-999999999999");
    private static final LockWait WAIT = new LockWait(Duration.ofMillis(300), 50, Duration.ofMillis(50));

    @Test
    void anErasureQueuedBetweenTwoBatchesLetsThemThrough() throws Exception {
        try (TestDatabase db = TestDatabase.migrated(); Connection erasing = db.connect()) {
            try (Statement s = erasing.createStatement()) {
                s.execute("INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, email_id, edge_no) VALUES "
                        + "(gen_random_uuid(), 'open', now(), '" + TENANT + "', gen_random_uuid(), 'gone', 1)");
            }
            Erasure.Result r = betweenTwoBatches(db, () -> Erasure.erase(erasing, TENANT, "gone", "test:lock", WAIT));
            assertEquals(1L, r.deleted().get("email_events"));
            assertEquals(0, db.count("SELECT count(*) FROM email_events WHERE email_id = 'gone'"));
        }
    }

    @Test
    void thePostHogAnswerQueuedBetweenTwoBatchesLetsThemThrough() throws Exception {
        try (TestDatabase db = TestDatabase.migrated(); Connection erasing = db.connect()) {
            long id = Erasure.erase(erasing, TENANT, "gone", "test:lock").erasureId();
            betweenTwoBatches(db, () -> {
                Erasure.recordPostHog(erasing, id, "deleted", WAIT);
                return null;
            });
            assertEquals(1, db.count("SELECT count(*) FROM erasure_audit WHERE posthog = 'deleted'"));
        }
    }

    /** A batch that never lets go: the erasure gives up after its tries (55P03) with nothing done, as the README says. */
    @Test
    void anErasureThatNeverGetsTheLockFailsWithNothingDone() throws Exception {
        try (TestDatabase db = TestDatabase.migrated(); Connection holder = db.connect(); Connection erasing = db.connect()) {
            try (Statement s = erasing.createStatement()) {
                s.execute("INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, email_id, edge_no) VALUES "
                        + "(gen_random_uuid(), 'open', now(), '" + TENANT + "', gen_random_uuid(), 'kept', 1)");
            }
            holder.setAutoCommit(false);
            share(holder);
            SQLException gaveUp = org.junit.jupiter.api.Assertions.assertThrows(SQLException.class,
                    () -> Erasure.erase(erasing, TENANT, "kept", "test:lock", new LockWait(Duration.ofMillis(100), 2, Duration.ZERO)));
            assertEquals("55P03", gaveUp.getSQLState(), gaveUp.getMessage());
            holder.rollback();
            assertEquals(0, db.count("SELECT count(*) FROM erasure_audit"));
            assertEquals(1, db.count("SELECT count(*) FROM email_events WHERE email_id = 'kept'"));
        }
    }

    @Test
    void theStatementsAfterTheLockWaitAsBefore() throws Exception {
        try (TestDatabase db = TestDatabase.migrated(); Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("SET lock_timeout = '7s'");
            c.setAutoCommit(false);
            new LockWait(Duration.ofMillis(250), 1, Duration.ZERO).runThenWaitAsBefore(c, "LOCK TABLE erasure_audit IN ROW EXCLUSIVE MODE");
            try (var rs = s.executeQuery("SHOW lock_timeout")) {
                rs.next();
                assertEquals("7s", rs.getString(1), "the erasure's deletes after its lock wait as they always did");
            }
            c.rollback();
        }
    }

    /**
     * Runs {@code auditWrite} while a later batch holds the audit table in SHARE mode and commits only
     * after an earlier batch, which asks for the same lock once {@code auditWrite} queued; returns its result.
     */
    private static <T> T betweenTwoBatches(TestDatabase db, Callable<T> auditWrite) throws Exception {
        // Own threads: the common pool may have one, and the two tasks must run side by side.
        try (ExecutorService threads = Executors.newFixedThreadPool(2); Connection later = db.connect(); Connection earlier = db.connect()) {
            later.setAutoCommit(false);
            earlier.setAutoCommit(false);
            share(later);
            CompletableFuture<T> write = CompletableFuture.supplyAsync(() -> {
                try {
                    return auditWrite.call();
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            }, threads);
            Await.until("the audit write queued behind the later batch", Duration.ofSeconds(30),
                    () -> db.waitingForLockOn("erasure_audit") == 1);
            CompletableFuture<Void> earlierBatch = CompletableFuture.runAsync(() -> {
                try {
                    share(earlier);
                    earlier.commit();
                } catch (SQLException e) {
                    throw new CompletionException(e);
                }
            }, threads);
            // The later batch commits only after the earlier one, as the commit pipeline keeps them.
            earlierBatch.get(30, TimeUnit.SECONDS);
            assertFalse(write.isDone(), "the audit write still waits for the later batch");
            later.commit();
            return write.get(30, TimeUnit.SECONDS);
        }
    }

    private static void share(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("LOCK TABLE erasure_audit IN SHARE MODE");
        }
    }
}
