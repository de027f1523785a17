package io.trackedge.jobs.testing;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A fresh, migrated database for one test class, with {@code test_job_runs} to count runs in: made
 * before the class's tests and dropped after them.
 *
 * <pre>
 *     &#64;RegisterExtension
 *     static final JobsDatabase pg = new JobsDatabase();
 * </pre>
 */
public final class JobsDatabase implements BeforeAllCallback, AfterAllCallback {

    /** The database (its url, and queries for assertions); set before the class's first test. */
    public TestDatabase test;
    /** A pool of 8 connections to it. */
    public Database db;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        test = TestDatabase.create();
        db = new Database(new PostgresConnectionInfo(test.jdbcUrl(), test.user(), null), 8);
        db.migrate();
        try (Connection c = db.dataSource().getConnection()) {
            CountingRollUp.createTable(c);
        }
    }

    /** Empties the jobs, the schedule cursor and the run counts between tests. */
    public void reset() throws Exception {
        try (Connection c = db.dataSource().getConnection(); var s = c.createStatement()) {
            s.execute("TRUNCATE analytics_jobs, analytics_job_schedule, analytics_late_days, analytics_late_hours, test_job_runs");
        }
    }

    public long count(String sql) throws Exception {
        return test.count(sql);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        try (TestDatabase dropped = test) { // dropped even when the pool's close throws
            if (db != null) {
                db.close();
            }
        }
    }
}
