package io.trackedge.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.sql.BatchUpdateException;
import java.sql.SQLException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class SqlStatesTest {

    @Test
    void aStateIsFoundUnderWrappersAndInABatchsNextExceptions() {
        BatchUpdateException batch = new BatchUpdateException("batch entry 3 was aborted", "", new int[0]);
        batch.setNextException(new SQLException("value too long for type character varying(64)", "22001"));
        Throwable wrapped = new CompletionException(new IllegalStateException("write failed", batch));

        assertEquals("22001", SqlStates.first(wrapped), "the top exception has no state; the server's error is next");
        assertTrue(SqlStates.hasDataError(wrapped));
        assertTrue(SqlStates.has(wrapped, "22001"));
        assertFalse(SqlStates.has(wrapped, SqlStates.LOCK_NOT_AVAILABLE));
    }

    @Test
    void theFirstMatchWinsAndNoStateIsNull() {
        Throwable both = new SQLException("canceling statement due to lock timeout", SqlStates.LOCK_NOT_AVAILABLE,
                new SQLException("duplicate key", "23505"));
        assertEquals(SqlStates.LOCK_NOT_AVAILABLE, SqlStates.first(both));
        assertEquals("23505", SqlStates.find(both, SqlStates::isDataError));

        assertNull(SqlStates.first(new UncheckedIOException(new java.io.IOException("connection reset"))));
        assertNull(SqlStates.first(null));
        assertFalse(SqlStates.isDataError(null));
        assertFalse(SqlStates.isDataError("08006"));
        assertTrue(SqlStates.isDataError("23514"));
    }

    @Test
    void aCircularCauseChainEnds() {
        RuntimeException a = new RuntimeException("a");
        RuntimeException b = new RuntimeException("b", a);
        a.initCause(b);
        assertNull(SqlStates.first(a));
    }
}
