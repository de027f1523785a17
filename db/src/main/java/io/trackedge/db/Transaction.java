package io.trackedge.db;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * One unit of work in a transaction of its own on a connection in auto-commit: committed when the
 * work returns, rolled back when it throws anything (a failed rollback is attached to what it threw),
 * and the connection back in auto-commit either way, as a pool expects it.
 */
public final class Transaction {

    /** What runs inside the transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private Transaction() {
    }

    public static <T> T run(Connection c, Work<T> work) throws SQLException {
        c.setAutoCommit(false);
        try {
            T result = work.run(c);
            c.commit();
            return result;
        } catch (Throwable e) { // an Error too: setAutoCommit(true) below would commit the work half done
            rollbackAfter(c, e);
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    /**
     * Rolls back after {@code failure}, which the caller throws next. A rollback that fails too (the
     * connection broken by what failed the work: a restart, a socket timeout) is attached to
     * {@code failure} as suppressed instead of replacing it, so the log, the job's error and the
     * checks of its SQLState see the real cause.
     */
    public static void rollbackAfter(Connection c, Throwable failure) {
        try {
            c.rollback();
        } catch (SQLException rollback) {
            failure.addSuppressed(rollback);
        }
    }
}
