package io.trackedge.db;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class TransactionTest {

    /** A connection whose rollback fails as a broken one's does. */
    private static Connection broken() {
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("rollback")) {
                        throw new SQLException("This connection has been closed.", "08003");
                    }
                    return null;
                });
    }

    @Test
    void aFailedRollbackIsAttachedToTheFailureNotPutInItsPlace() {
        SQLException cause = new SQLException("terminating connection due to administrator command", "57P01");
        Transaction.rollbackAfter(broken(), cause);
        assertEquals(1, cause.getSuppressed().length);
        assertEquals("08003", ((SQLException) cause.getSuppressed()[0]).getSQLState());
        assertEquals("57P01", SqlStates.first(cause), "the cause's state is what is read");
    }
}
