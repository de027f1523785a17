package io.trackedge.jobs.testing;

import io.trackedge.jobs.Period;
import io.trackedge.jobs.RollUp;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A roll-up that records each run as a row of {@code test_job_runs}, inside the job's transaction:
 * a committed run leaves one row, a rolled-back one none. "Ran once" is then one row per period.
 * It can take its time (to widen races) and fail its first runs (to exercise retries).
 */
public final class CountingRollUp implements RollUp {

    public static final String TABLE_DDL = "CREATE TABLE IF NOT EXISTS test_job_runs (job_type text NOT NULL,"
            + " period_start timestamptz NOT NULL, tenant_id uuid, runner text NOT NULL, ran_at timestamptz NOT NULL DEFAULT now())";

    private final String type;
    private final String runner;
    private final Duration pause;
    private final AtomicInteger failuresLeft;
    private final boolean rowsPerHour;
    public final AtomicInteger calls = new AtomicInteger();

    public CountingRollUp(String type, String runner, Duration pause, int failFirst) {
        this(type, runner, pause, failFirst, false);
    }

    private CountingRollUp(String type, String runner, Duration pause, int failFirst, boolean rowsPerHour) {
        this.type = type;
        this.runner = runner;
        this.pause = pause;
        this.failuresLeft = new AtomicInteger(failFirst);
        this.rowsPerHour = rowsPerHour;
    }

    /** One whose hour jobs recount only their hour, as the hourly tables' do. */
    public static CountingRollUp perHour(String type, String runner) {
        return new CountingRollUp(type, runner, Duration.ZERO, 0, true);
    }

    @Override
    public boolean rowsPerHour() {
        return rowsPerHour;
    }

    public CountingRollUp(String type, String runner) {
        this(type, runner, Duration.ZERO, 0);
    }

    public static void createTable(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(TABLE_DDL);
        }
    }

    @Override
    public String jobType() {
        return type;
    }

    @Override
    public void run(Connection c, Period period, UUID tenantOrNull) throws SQLException {
        calls.incrementAndGet();
        try (PreparedStatement s = c.prepareStatement(
                "INSERT INTO test_job_runs (job_type, period_start, tenant_id, runner) VALUES (?, ?, ?, ?)")) {
            s.setString(1, type);
            s.setTimestamp(2, Timestamp.from(period.start()));
            s.setObject(3, tenantOrNull, Types.OTHER);
            s.setString(4, runner);
            s.executeUpdate();
        }
        if (!pause.isZero()) {
            try {
                Thread.sleep(pause.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SQLException("interrupted", e);
            }
        }
        if (failuresLeft.getAndDecrement() > 0) {
            throw new SQLException("planned failure of " + type + " " + period);
        }
    }
}
