package io.trackedge.jobs;

import java.sql.SQLException;
import java.util.Set;

/**
 * Whether a failed run lost a contention with other work rather than failing at its own: a lock wait
 * that ran out (55P03, the bounded waits of {@code LockWait}), a deadlock's victim (40P01), a
 * serialization failure (40001). Such a run is deferred ({@link JobStore#defer}), not failed.
 */
final class Contention {

    private static final Set<String> STATES = Set.of("55P03", "40P01", "40001");

    private Contention() {
    }

    /** The SQLState of the contention anywhere in {@code e}'s cause chain, or null when it is not one. */
    static String of(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                for (SQLException s = sql; s != null; s = s.getNextException()) {
                    if (s.getSQLState() != null && STATES.contains(s.getSQLState())) {
                        return s.getSQLState();
                    }
                }
            }
        }
        return null;
    }
}
