package io.trackedge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.LockWait;
import io.trackedge.jobs.testing.JobsDatabase;
import io.trackedge.sink.testing.Await;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A job that loses a contention with other work is deferred, not failed (V35): the retention job,
 * held off by a long reader of the events past its lock wait, waits in the queue with its attempts
 * given back, more times than it has attempts and each time twice as long, and drops the old days
 * once the reader has gone; deferred too often in a row, it fails like any error and ends dead.
 */
class ContendedJobIT {

    @RegisterExtension
    static final JobsDatabase pg = new JobsDatabase();

    @BeforeEach
    void empty() throws Exception {
        pg.reset();
    }

    @Test
    void aRetentionRunBehindALongReaderIsDeferredWithoutSpendingItsAttempts() throws Exception {
        String partition = oldDay(40);
        // Two attempts, and deferrals waiting 1, 2, then 4 s: the third wait leaves seconds for the checks of a job not yet due.
        JobSettings settings = JobSettings.defaults().withRetries(Duration.ofSeconds(1), Duration.ofSeconds(4), 2);
        JobStats stats = new JobStats();
        try (JobRunner runner = retention(30, settings, stats); Connection reader = readingEvents()) {

            Await.until("the retention job deferred more times than it has attempts", Duration.ofSeconds(60), () -> {
                runner.drain();
                return pg.count("SELECT deferrals FROM analytics_jobs") >= 3;
            });
            List<String> job = pg.test.rows("SELECT status, attempts, deferrals, last_error,"
                    + " round(extract(epoch FROM run_after - finished_at)::numeric, 3) FROM analytics_jobs");
            String[] f = job.get(0).split("\\|");
            assertEquals("queued", f[0], job.get(0));
            assertEquals("0", f[1], "its attempts given back");
            assertTrue(f[3].contains("55P03"), f[3]);
            int deferrals = Integer.parseInt(f[2]);
            assertEquals(Math.min(4.0, Math.pow(2, deferrals - 1)), Double.parseDouble(f[4]), 1e-6,
                    "the wait after " + deferrals + " deferrals");
            assertEquals(0, stats.failures.get());
            assertEquals(0, stats.dead.get());
            assertEquals(deferrals, stats.deferred.get());
            JobRows.Depth depth = JobRows.depth(pg.db.dataSource(), List.of(RetentionJob.TYPE));
            assertEquals(0, depth.ready(), "a deferred job is not ready before its time");
            assertEquals(1, depth.failedWaiting(), "it waits, as a failed one does");
            assertEquals(1, pg.count("SELECT count(*) FROM pg_class WHERE relname = '" + partition + "'"), "nothing dropped yet");

            reader.rollback();
            Await.until("the retention job completed once the reader had gone", Duration.ofSeconds(60), () -> {
                runner.drain();
                return pg.count("SELECT count(*) FROM analytics_jobs WHERE status = 'completed'") == 1;
            });
        }
        assertEquals(1, pg.count("SELECT attempts FROM analytics_jobs"), "one attempt, the one that ran");
        assertEquals(0, pg.count("SELECT deferrals FROM analytics_jobs"), "reset by the run that completed");
        assertEquals(0, pg.count("SELECT count(*) FROM pg_class WHERE relname = '" + partition + "'"));
    }

    /** A lock that never comes free: after max-deferrals in a row, each contention spends an attempt, and the job ends dead. */
    @Test
    void aJobDeferredTooOftenInARowFailsAndEndsDead() throws Exception {
        String partition = oldDay(41);
        JobSettings settings = JobSettings.defaults().withRetries(Duration.ofMillis(100), Duration.ofMillis(200), 2).withMaxDeferrals(2);
        JobStats stats = new JobStats();
        // 20 days, not 30: a run of the other test records the days it dropped, and a later run with
        // the same cutoff would end without asking for the lock.
        try (JobRunner runner = retention(20, settings, stats); Connection reader = readingEvents()) {
            Await.until("the retention job dead", Duration.ofSeconds(60), () -> {
                runner.drain();
                return pg.count("SELECT count(*) FROM analytics_jobs WHERE status = 'dead'") == 1;
            });
            reader.rollback();
            assertEquals(0, runner.drain(), "dead waits for a person (jobs retry), lock or no lock");
        }
        assertEquals("2|2", pg.test.rows("SELECT attempts, deferrals FROM analytics_jobs").get(0), "two deferrals, then two attempts");
        String error = pg.test.rows("SELECT last_error FROM analytics_jobs").get(0);
        assertTrue(error.contains("lock timeout") && !error.startsWith("deferred"), error);
        assertEquals(2, stats.deferred.get());
        assertEquals(2, stats.failures.get());
        assertEquals(1, stats.dead.get());
        assertEquals(1, pg.count("SELECT count(*) FROM pg_class WHERE relname = '" + partition + "'"), "nothing dropped");
    }

    /** A runner of retention alone, each run trying once, for 50 ms, for the events' lock; with yesterday's job queued. */
    private static JobRunner retention(int days, JobSettings settings, JobStats stats) throws Exception {
        RetentionJob retention = new RetentionJob(days, pg.db.dataSource(), new LockWait(Duration.ofMillis(50), 1, Duration.ZERO),
                io.trackedge.sink.bad.BadEventsRetention.BATCH);
        JobRegistry registry = JobRegistry.builder().add(retention, 100, Granularity.DAY).build();
        JobRunner runner = new JobRunner("r", new JobStore(pg.db.dataSource(), settings), registry, null, null, settings, stats);
        runner.enqueue(RetentionJob.TYPE, Period.dayOf(LocalDate.now(ZoneOffset.UTC).minusDays(1)), null);
        return runner;
    }

    /** A report's long read of the events: its lock stays until the connection's transaction ends. */
    private static Connection readingEvents() throws Exception {
        Connection reader = pg.db.dataSource().getConnection();
        reader.setAutoCommit(false);
        try (Statement s = reader.createStatement()) {
            s.execute("SELECT count(*) FROM email_event_rows");
        }
        return reader;
    }

    /** A partition of the day {@code daysAgo} days back, holding one event; its name. */
    private static String oldDay(int daysAgo) throws Exception {
        LocalDate old = LocalDate.now(ZoneOffset.UTC).minusDays(daysAgo);
        String partition = "email_events_" + old.toString().replace("-", "");
        try (Connection c = pg.db.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + partition + " PARTITION OF email_event_rows FOR VALUES FROM ('" + old + "') TO ('"
                    + old.plusDays(1) + "')");
            s.execute("INSERT INTO email_event_rows (occurred_at, context_id, tenant_id, event_id, edge_no, event_type) VALUES ('"
                    + old + " 12:00Z', 1, '" + UUID.randomUUID() + "', '" + UUID.randomUUID() + "', 1, 'open')");
        }
        return partition;
    }
}
