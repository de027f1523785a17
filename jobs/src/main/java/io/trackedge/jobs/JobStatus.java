package io.trackedge.jobs;

import java.util.Locale;

/**
 * The states of an {@code analytics_jobs} row. {@code failed} is waiting for its next attempt
 * ({@code run_after}), and so is a {@code queued} job that was deferred (V35); {@code dead} has used
 * every attempt and waits for a person ({@code trackedge jobs retry}).
 */
public enum JobStatus {
    QUEUED, RUNNING, COMPLETED, FAILED, DEAD;

    public String sql() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static JobStatus parse(String s) {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
    }
}
