package io.trackedge.jobs;

import io.trackedge.db.SqlStates;
import java.util.Set;

/**
 * Whether a failed run lost a contention with other work rather than failing at its own: a lock wait
 * that ran out (55P03, the bounded waits of {@code LockWait}), a deadlock's victim (40P01), a
 * serialization failure (40001). Such a run is deferred ({@link JobStore#defer}), not failed.
 */
final class Contention {

    private static final Set<String> STATES = Set.of(SqlStates.LOCK_NOT_AVAILABLE, "40P01", "40001");

    private Contention() {
    }

    /** The SQLState of the contention anywhere in {@code e}'s cause chain, or null when it is not one. */
    static String of(Throwable e) {
        return SqlStates.find(e, STATES::contains);
    }
}
