package io.trackedge.db;

import java.sql.SQLException;
import java.util.function.Predicate;

/**
 * What a failure's PostgreSQL SQLState says, found among its causes and each {@link SQLException}'s
 * chained next exceptions (a batch's {@code BatchUpdateException} carries the server's error there).
 * One place, so the sink, the jobs and the stats API read a failure the same way.
 */
public final class SqlStates {

    /** Lock wait ran out ({@code lock_timeout}, or {@code NOWAIT}). */
    public static final String LOCK_NOT_AVAILABLE = "55P03";
    /** Cancelled by {@code statement_timeout} or a cancel request. */
    public static final String QUERY_CANCELED = "57014";
    /** A relation (a table, a view) that does not exist. */
    public static final String UNDEFINED_TABLE = "42P01";

    // A cause chain can be made circular; no real one is this deep.
    private static final int MAX_DEPTH = 64;

    private SqlStates() {
    }

    /** The first SQLState in {@code failure} that {@code wanted} accepts, or null. */
    public static String find(Throwable failure, Predicate<String> wanted) {
        int depth = 0;
        for (Throwable t = failure; t != null && depth < MAX_DEPTH; t = t.getCause(), depth++) {
            if (t instanceof SQLException sql) {
                int next = 0;
                for (SQLException s = sql; s != null && next < MAX_DEPTH; s = s.getNextException(), next++) {
                    String state = s.getSQLState();
                    if (state != null && !state.isEmpty() && wanted.test(state)) {
                        return state;
                    }
                }
            }
        }
        return null;
    }

    /** The first SQLState in {@code failure}, or null when none carries one. */
    public static String first(Throwable failure) {
        return find(failure, state -> true);
    }

    /** Whether {@code state} appears in {@code failure}. */
    public static boolean has(Throwable failure, String state) {
        return find(failure, state::equals) != null;
    }

    /** Whether {@code failure} holds a data exception (class 22) or an integrity constraint violation (23). */
    public static boolean hasDataError(Throwable failure) {
        return find(failure, SqlStates::isDataError) != null;
    }

    /** Class 22 or 23: what the rows hold is refused, and sending them again fails again. */
    public static boolean isDataError(String state) {
        return state != null && (state.startsWith("22") || state.startsWith("23"));
    }
}
