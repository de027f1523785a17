package io.trackedge.sink.postgres;

import io.trackedge.db.SqlStates;
import java.sql.SQLException;
import java.util.Set;

/**
 * Whether a replay's failure is the database's passing trouble rather than a refusal of the event: the
 * same replay may succeed in a later round, so its {@code bad_events} row must not be recorded as
 * refused ({@link PostgresReplay}). Retryable are the SQLState classes 08 (connection lost), 40
 * (serialization failure, deadlock), 53 (out of resources), 57 (cancelled, admin shutdown) and 58
 * (system error), {@value SqlStates#LOCK_NOT_AVAILABLE} (lock not available), and an SQL failure
 * that carries no SQLState at all: the driver's own (an I/O error), or the sink's checks made inside
 * the replay's transaction ({@link MovedMeanwhileException} for a tenant still marked moved out,
 * {@link DroppedMeanwhileException}). Anything else recurs: a data exception, a missing table, a
 * refusal that is no SQL failure at all (a client id another event holds).
 */
final class ReplayRetryable {

    private static final Set<String> TRANSIENT_CLASSES = Set.of("08", "40", "53", "57", "58");

    private ReplayRetryable() {
    }

    /** Whether {@code failure}, thrown by a replay's transaction, may not happen again. */
    static boolean test(Throwable failure) {
        String state = SqlStates.first(failure);
        return state == null ? holdsSqlException(failure) : isTransient(state);
    }

    /** Whether {@code state} names a passing trouble of the database. */
    static boolean isTransient(String state) {
        return SqlStates.LOCK_NOT_AVAILABLE.equals(state)
                || state.length() == 5 && TRANSIENT_CLASSES.contains(state.substring(0, 2));
    }

    private static boolean holdsSqlException(Throwable failure) {
        int depth = 0; // a cause chain can be made circular
        for (Throwable t = failure; t != null && depth < 64; t = t.getCause(), depth++) {
            if (t instanceof SQLException) {
                return true;
            }
        }
        return false;
    }
}
