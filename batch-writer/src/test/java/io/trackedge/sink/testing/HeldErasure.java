package io.trackedge.sink.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;

import io.trackedge.db.Database;
import io.trackedge.privacy.Erasure;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * An erasure of one email held half-way, for tests of what runs beside it: started on {@code threads}, it holds
 * {@code erasure_audit} and has deleted the email's human opens, and waits for {@code email_bounces}, which this
 * holds in SHARE mode (seen in {@code pg_locks}, not slept for) until {@link #close}. What a test starts meanwhile
 * runs beside a live erasure; the erasure's result is {@link #result}.
 */
public final class HeldErasure implements AutoCloseable {

    private final Connection bounces;
    private final CompletableFuture<Erasure.Result> result;

    private HeldErasure(Connection bounces, CompletableFuture<Erasure.Result> result) {
        this.bounces = bounces;
        this.result = result;
    }

    public static HeldErasure start(TestDatabase testDb, Database db, UUID tenant, String email, Executor threads)
            throws SQLException {
        Connection bounces = testDb.connect();
        bounces.setAutoCommit(false);
        try (Statement s = bounces.createStatement()) {
            s.execute("LOCK TABLE email_bounces IN SHARE MODE");
        }
        CompletableFuture<Erasure.Result> result = CompletableFuture.supplyAsync(() -> {
            try (Connection c = db.dataSource().getConnection()) {
                return Erasure.erase(c, tenant, email, "test");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, threads);
        Await.until("the erasure holding the audit, waiting for email_bounces", Duration.ofSeconds(30),
                () -> result.isDone() || testDb.waitingForLockOn("email_bounces") == 1);
        assertFalse(result.isDone(), "the erasure ended before email_bounces was let go: " + result);
        return new HeldErasure(bounces, result);
    }

    /** The erasure's outcome, done once {@link #close} has let it go on. */
    public CompletableFuture<Erasure.Result> result() {
        return result;
    }

    /** Lets go of {@code email_bounces}: the erasure finishes. */
    @Override
    public void close() throws SQLException {
        try {
            bounces.commit();
        } finally {
            bounces.close();
        }
    }
}
