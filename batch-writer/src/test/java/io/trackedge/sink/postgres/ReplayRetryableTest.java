package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.BatchUpdateException;
import java.sql.SQLException;
import java.time.LocalDate;
import org.jooq.exception.DataAccessException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Which replay failures leave a set-aside row untried for the next round ({@link ReplayRetryable}): the
 * database's passing trouble, and the sink's own checks inside the replay's transaction; never a
 * failure that would recur, which is recorded as refused for an operator.
 */
class ReplayRetryableTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "08000", "08003", "08006", "08001", // connection lost or refused
        "40001", "40P01", // serialization failure, deadlock
        "53100", "53200", "53300", // disk full, out of memory, too many connections
        "57014", "57P01", "57P02", "57P03", // cancelled, admin and crash shutdown, cannot connect now
        "58000", "58030", // system error, I/O error
        "55P03", // lock not available
    })
    void theDatabasesPassingTroubleIsRetryable(String state) {
        assertTrue(ReplayRetryable.test(new SQLException("failed", state)), state);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "22021", "22P02", "23505", "23502", // the event's data
        "42P01", "42703", // the schema: a missing table or column stays missing
        "55000", // object not in prerequisite state (not 55P03)
        "25P02", "XX000", "P0001", // an aborted transaction's follow-up, an internal error, a raised exception
        "08", "5", // no SQLState of the standard's shape
    })
    void whatRecursIsNot(String state) {
        assertFalse(ReplayRetryable.test(new SQLException("failed", state)), state);
    }

    @Test
    void anSqlFailureWithoutAStateIsRetryable() {
        assertTrue(ReplayRetryable.test(new SQLException("An I/O error occurred while sending to the backend.")));
        assertTrue(ReplayRetryable.test(new SQLException("blank", "")));
        assertTrue(ReplayRetryable.test(new MovedMeanwhileException("tenant t was moved out of this cluster to cluster b")),
                "a tenant still marked moved out: written once the mark goes");
        assertTrue(ReplayRetryable.test(new DroppedMeanwhileException(LocalDate.of(2026, 12, 1))),
                "the next round refuses it for retention instead");
    }

    @Test
    void aFailureThatIsNoSqlFailureIsTheEventsOwn() {
        assertFalse(ReplayRetryable.test(new IllegalStateException("not stored: its client id was sent before with another event type")));
        assertFalse(ReplayRetryable.test(new DataAccessException("jOOQ's own refusal")));
    }

    @Test
    void theStateIsFoundAmongCausesAndChainedExceptions() {
        assertTrue(ReplayRetryable.test(new DataAccessException("wrapped", new SQLException("deadlock detected", "40P01"))));
        assertFalse(ReplayRetryable.test(new DataAccessException("wrapped", new SQLException("duplicate key", "23505"))));
        BatchUpdateException batch = new BatchUpdateException("batch entry 0 failed", (String) null, 0, new int[0], null);
        batch.setNextException(new SQLException("terminating connection due to administrator command", "57P01"));
        assertTrue(ReplayRetryable.test(batch));
        SQLException top = new SQLException("no state of its own");
        top.setNextException(new SQLException("value too long", "22001"));
        assertFalse(ReplayRetryable.test(top), "the server's state under a driver's wrapper decides");
    }
}
