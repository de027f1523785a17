package io.trackedge.jobs.testing;

import io.trackedge.jobs.Period;
import io.trackedge.jobs.RollUp;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.UUID;

/** A roll-up whose run a test writes as a lambda; housekeeping (late events do not re-run it). */
public final class ScriptedRollUp implements RollUp {

    /** What one run does, in the job's transaction. */
    @FunctionalInterface
    public interface Run {
        void run(Connection c, Period period, UUID tenant) throws SQLException;
    }

    private final String type;
    private final Run run;

    public ScriptedRollUp(String type, Run run) {
        this.type = type;
        this.run = run;
    }

    @Override
    public String jobType() {
        return type;
    }

    @Override
    public void run(Connection c, Period period, UUID tenantOrNull) throws SQLException {
        run.run(c, period, tenantOrNull);
    }

    @Override
    public boolean countsEvents() {
        return false;
    }
}
