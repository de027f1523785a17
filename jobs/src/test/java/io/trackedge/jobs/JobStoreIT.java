package io.trackedge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.jobs.testing.CountingRollUp;
import io.trackedge.jobs.testing.JobsDatabase;
import io.trackedge.sink.testing.Await;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The record's rules on the real PostgreSQL: one job per key, one owner per job, retries, dead, retry. */
class JobStoreIT {

    @RegisterExtension
    static final JobsDatabase pg = new JobsDatabase();
    private static final JobSettings SETTINGS = JobSettings.defaults()
            // Backoffs long enough that a loaded machine cannot outrun them between two checks.
            .withRetries(Duration.ofSeconds(2), Duration.ofSeconds(4), 3);
    private static final List<String> TYPES = List.of("daily_aggregate", "hourly_metrics", "billing_calculate");
    private JobStore store;

    @BeforeEach
    void empty() throws Exception {
        pg.reset();
        store = new JobStore(pg.db.dataSource(), SETTINGS);
    }

    @Test
    void enqueuingTheSameTypePeriodAndTenantTwiceGivesOneJob() throws Exception {
        Period day = Period.dayOf(LocalDate.of(2026, 11, 30));
        UUID tenant = UUID.randomUUID();
        JobStore.Enqueued a = store.enqueue("daily_aggregate", 50, day, null);
        JobStore.Enqueued b = store.enqueue("daily_aggregate", 50, day, null);
        JobStore.Enqueued t1 = store.enqueue("daily_aggregate", 50, day, tenant);
        JobStore.Enqueued t2 = store.enqueue("daily_aggregate", 50, day, tenant);
        JobStore.Enqueued other = store.enqueue("daily_aggregate", 50, day.next(), null);
        assertTrue(a.created());
        assertFalse(b.created());
        assertEquals(a.jobId(), b.jobId());
        assertEquals(t1.jobId(), t2.jobId());
        assertTrue(other.created());
        assertEquals(3, pg.count("SELECT count(*) FROM analytics_jobs"));
    }

    @Test
    void manyRunnersRacingForOneJobGiveItOneOwner() throws Exception {
        JobStore.Enqueued e = store.enqueue("daily_aggregate", 50, Period.dayOf(LocalDate.of(2026, 11, 29)), null);
        int racers = 8;
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Job>> claims = new ArrayList<>();
        for (int i = 0; i < racers; i++) {
            String name = "racer-" + i;
            boolean byHint = i % 2 == 0;
            Callable<Job> claim = () -> {
                go.await();
                return byHint ? store.claim(e.jobId(), name, TYPES) : store.claimNext(name, TYPES);
            };
            claims.add(pool.submit(claim));
        }
        go.countDown();
        int owners = 0;
        for (Future<Job> f : claims) {
            owners += f.get() == null ? 0 : 1;
        }
        pool.shutdown();
        assertEquals(1, owners, "exactly one claim may succeed");
        assertEquals(1, pg.count("SELECT attempts FROM analytics_jobs"));
    }

    @Test
    void theMostUrgentPriorityIsClaimedFirstAndUnknownTypesAreLeft() throws Exception {
        Period day = Period.dayOf(LocalDate.of(2026, 11, 28));
        store.enqueue("billing_calculate", 100, day, null);
        store.enqueue("daily_aggregate", 50, day, null);
        store.enqueue("someone_elses_type", 1, day, null);
        store.enqueue("hourly_metrics", 25, Period.hourOf(day.start()), null);
        assertEquals("hourly_metrics", store.claimNext("r", TYPES).type());
        assertEquals("daily_aggregate", store.claimNext("r", TYPES).type());
        assertEquals("billing_calculate", store.claimNext("r", TYPES).type());
        assertNull(store.claimNext("r", TYPES));
    }

    @Test
    void failuresBackOffThenTheJobIsDeadAndRetryPutsItBack() throws Exception {
        Period day = Period.dayOf(LocalDate.of(2026, 11, 27));
        CountingRollUp rollUp = new CountingRollUp("daily_aggregate", "r", Duration.ZERO, 99);
        JobRegistry registry = JobRegistry.builder().add(rollUp, 50, Granularity.DAY).build();
        JobStats stats = new JobStats();
        try (JobRunner runner = new JobRunner("r", store, registry, null, null, SETTINGS, stats)) {
            runner.enqueue("daily_aggregate", day, null);
            assertEquals(1, runner.drain());
            assertEquals("failed|1", pg.test.rows("SELECT status, attempts FROM analytics_jobs").get(0));
            assertEquals(0, runner.drain(), "a failed job waits for its backoff");
            // The backoff counted from the failure, not from now: the test may reach this line late on a loaded machine.
            assertTrue(pg.count("SELECT count(*) FROM analytics_jobs WHERE run_after >= finished_at + interval '2 s'") == 1);
            Await.until("three attempts, then dead", Duration.ofSeconds(60), () -> {
                runner.drain();
                return pg.count("SELECT count(*) FROM analytics_jobs WHERE status = 'dead'") == 1;
            });
            assertEquals(3, pg.count("SELECT attempts FROM analytics_jobs"));
            assertEquals(1, stats.dead.get());
            assertTrue(pg.test.rows("SELECT last_error FROM analytics_jobs").get(0).contains("planned failure"));
            assertEquals(0, pg.count("SELECT count(*) FROM test_job_runs"), "a failed run leaves nothing behind");

            assertEquals(1, store.retry(null));
            CountingRollUp ok = new CountingRollUp("daily_aggregate", "r");
            JobRegistry fixed = JobRegistry.builder().add(ok, 50, Granularity.DAY).build();
            try (JobRunner again = new JobRunner("r2", store, fixed, null, null, SETTINGS, new JobStats())) {
                assertEquals(1, again.drain());
            }
            assertEquals("completed|1|r2", pg.test.rows("SELECT status, attempts, runner FROM analytics_jobs").get(0));
            assertEquals(1, pg.count("SELECT count(*) FROM test_job_runs"));
        }
    }

    /**
     * A re-run (a tenant's move asks for its recounts so) starts the job afresh: attempts and deferrals
     * both reset, as {@code jobs retry} does. With its deferrals left at the maximum, its first lost
     * lock wait would have spent an attempt instead of waiting.
     */
    @Test
    void aRerunResetsTheAttemptsAndTheDeferrals() throws Exception {
        JobStore.Enqueued job = store.enqueue("daily_aggregate", 50, Period.dayOf(LocalDate.of(2026, 11, 30)), null);
        try (Connection c = pg.db.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("UPDATE analytics_jobs SET status = 'dead', attempts = 3, deferrals = " + JobSettings.DEFAULT_MAX_DEFERRALS);
            store.rerun(c, job.jobId());
        }
        assertEquals(List.of("queued|0|0"), pg.test.rows("SELECT status || '|' || attempts || '|' || deferrals FROM analytics_jobs"));
    }

    @Test
    void aRunWhoseClaimWasTakenOverCommitsNothing() throws Exception {
        Period day = Period.dayOf(LocalDate.of(2026, 11, 26));
        store.enqueue("daily_aggregate", 50, day, null);
        Job first = store.claimNext("slow", TYPES);
        assertNotNull(first);
        // The slow runner's lease runs out (as if it had hung) and another runner takes the job.
        try (var c = pg.db.dataSource().getConnection(); var s = c.createStatement()) {
            s.execute("UPDATE analytics_jobs SET lease_until = now() - interval '1 s'");
        }
        assertEquals(1, store.reapExpired());
        Job second = store.claimNext("fast", TYPES);
        assertNotNull(second);
        assertEquals(2, second.attempt());
        try (var c = pg.db.dataSource().getConnection()) {
            c.setAutoCommit(false);
            assertEquals(JobStore.Completion.LOST, store.complete(c, first), "the first claim is gone");
            c.rollback();
        }
        assertFalse(store.renewLease(first));
        assertNull(store.fail(first, "late"));
        assertTrue(store.renewLease(second));
        assertEquals("running|fast", pg.test.rows("SELECT status, runner FROM analytics_jobs").get(0));
    }
}
