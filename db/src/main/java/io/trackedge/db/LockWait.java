package io.trackedge.db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * How a maintenance statement waits for a table lock that the sinks' batches also take: each try
 * at most {@code timeout}, {@code pause} between tries, then SQLState 55P03 to the caller.
 *
 * <p>Why not simply wait: while a statement waits for a strong lock, every later request that
 * conflicts with it queues behind it, so a long reader (a reconciliation's recount) holding the
 * statement off would hold every sink write and read behind it too. Giving up after a short wait and
 * trying again later bounds that queueing. It also breaks any cycle with one edge outside
 * PostgreSQL (a sink's batch waiting in Java for the batch before it), which the deadlock detector
 * cannot see; the sinks' commit pipeline is ordered so that none forms, and this is the guard.
 */
public record LockWait(Duration timeout, int tries, Duration pause) {

    /** About half a minute in all, a second of queueing at a time. */
    public static final LockWait DEFAULT = new LockWait(Duration.ofSeconds(1), 10, Duration.ofSeconds(2));

    public LockWait {
        if (timeout.toMillis() < 1) {
            throw new IllegalArgumentException("lock wait timeout must be at least 1 ms: " + timeout);
        }
        if (tries < 1) {
            throw new IllegalArgumentException("lock wait tries must be at least 1: " + tries);
        }
        if (pause.isNegative()) {
            throw new IllegalArgumentException("lock wait pause must not be negative: " + pause);
        }
    }

    /** Each try's wait, and the most time all tries can take. */
    public Duration atMost() {
        return timeout.multipliedBy(tries).plus(pause.multipliedBy(tries - 1L));
    }

    /** A statement, or a few, run on one {@link Statement} of the caller's transaction. */
    @FunctionalInterface
    public interface Body<T> {
        T apply(Statement s) throws SQLException;
    }

    /**
     * Runs {@code statement} (a {@code LOCK TABLE}, or anything that takes such a lock) on {@code c},
     * which must be in a transaction, each try under a savepoint, and leaves {@code lock_timeout} at
     * {@link #timeout} to the end of the transaction: whatever the transaction locks next waits no
     * longer either. Throws the last try's exception (55P03) when every try timed out, and any other
     * failure at once.
     */
    public void run(Connection c, String statement) throws SQLException {
        call(c, s -> s.execute(statement));
    }

    /** As {@link #run}, for a body that answers something: what the try that got its locks answered. */
    public <T> T call(Connection c, Body<T> body) throws SQLException {
        if (c.getAutoCommit()) {
            throw new IllegalStateException("LockWait needs a transaction: a lock taken in auto-commit is released at once");
        }
        try (Statement s = c.createStatement()) {
            s.execute("SET LOCAL lock_timeout = '" + timeout.toMillis() + "ms'");
            for (int attempt = 1; ; attempt++) {
                s.execute("SAVEPOINT lock_wait");
                try {
                    T answer = body.apply(s);
                    s.execute("RELEASE SAVEPOINT lock_wait");
                    return answer;
                } catch (SQLException e) {
                    if (!SqlStates.LOCK_NOT_AVAILABLE.equals(e.getSQLState()) || attempt >= tries) {
                        throw e;
                    }
                    try {
                        s.execute("ROLLBACK TO SAVEPOINT lock_wait");
                        s.execute("RELEASE SAVEPOINT lock_wait"); // the next try's savepoint is not nested in this one
                    } catch (SQLException rollback) {
                        e.addSuppressed(rollback);
                        throw e;
                    }
                    pause(e);
                }
            }
        }
    }

    /**
     * As {@link #run}, then puts {@code lock_timeout} back to what it was before: for a transaction
     * whose later statements should wait as they always did.
     */
    public void runThenWaitAsBefore(Connection c, String statement) throws SQLException {
        String before;
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT current_setting('lock_timeout')")) {
            r.next();
            before = r.getString(1);
        }
        run(c, statement);
        try (var s = c.prepareStatement("SELECT set_config('lock_timeout', ?, true)")) {
            s.setString(1, before);
            s.executeQuery().close();
        }
    }

    private void pause(SQLException cause) throws SQLException {
        try {
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException stop) {
            Thread.currentThread().interrupt();
            throw cause;
        }
    }
}
