package io.trackedge.jobs.testing;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;

/** A fresh, migrated database for one test class, with {@code test_job_runs} to count runs in. */
public final class JobsDatabase implements AutoCloseable {

    public final TestDatabase test;
    public final Database db;

    private JobsDatabase(TestDatabase test, Database db) {
        this.test = test;
        this.db = db;
    }

    public static JobsDatabase create() throws Exception {
        TestDatabase t = TestDatabase.create();
        Database db = new Database(new PostgresConnectionInfo(t.jdbcUrl(), t.user(), null), 8);
        db.migrate();
        try (Connection c = db.dataSource().getConnection()) {
            CountingRollUp.createTable(c);
        }
        return new JobsDatabase(t, db);
    }

    /** Empties the jobs, the schedule cursor and the run counts between tests. */
    public void reset() throws Exception {
        try (Connection c = db.dataSource().getConnection(); var s = c.createStatement()) {
            s.execute("TRUNCATE analytics_jobs, analytics_job_schedule, analytics_late_days, test_job_runs");
        }
    }

    public long count(String sql) throws Exception {
        return test.count(sql);
    }

    @Override
    public void close() throws Exception {
        db.close();
        test.close();
    }
}
