package io.trackedge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.jobs.testing.CountingRollUp;
import io.trackedge.jobs.testing.JobsDatabase;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.OwnedRedis;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Faults: Redis killed mid-run (and brought back empty), and Redis flushed mid-run. PostgreSQL is
 * the record, so no job is lost and none runs twice; each is checked by the runs it committed.
 */
class RedisFaultsIT {

    private static final String TYPE = "hourly_metrics";
    private static final JobSettings SETTINGS = JobSettings.defaults().withVisibilityTimeout(Duration.ofSeconds(1))
            .withSweepInterval(Duration.ofMillis(200)).withMaxIdle(Duration.ofMillis(20));
    private static final Instant T0 = Instant.parse("2026-11-30T00:00:00Z");
    @RegisterExtension
    static final JobsDatabase pg = new JobsDatabase();
    private OwnedRedis redis;
    private final List<RunnerThread> threads = new ArrayList<>();

    @BeforeEach
    void services() throws Exception {
        pg.reset();
        redis = OwnedRedis.start();
    }

    @AfterEach
    void stop() throws Exception {
        for (RunnerThread t : threads) {
            t.stop(Duration.ofSeconds(5));
        }
        redis.close();
    }

    private JobRunner runner(String name) {
        JobRegistry registry = JobRegistry.builder().add(new CountingRollUp(TYPE, name, Duration.ofMillis(40), 0), 25).build();
        JobRunner r = new JobRunner(name, new JobStore(pg.db.dataSource(), SETTINGS), registry, null,
                new RedisHints(redis.url(), "t:"), SETTINGS, new JobStats());
        threads.add(new RunnerThread(r, SETTINGS).start());
        return r;
    }

    private static void enqueueHours(JobRunner r, int from, int count) throws Exception {
        for (int i = from; i < from + count; i++) {
            r.enqueue(TYPE, Period.hourOf(T0.plus(Duration.ofHours(i))), null);
        }
    }

    private static long completed() throws Exception {
        return pg.count("SELECT count(*) FROM analytics_jobs WHERE status = 'completed'");
    }

    private static void assertEachRanOnce(int jobs) throws Exception {
        assertEquals(jobs, pg.count("SELECT count(*) FROM analytics_jobs"), "no job lost from the record");
        assertEquals(jobs, completed());
        assertEquals(jobs, pg.count("SELECT count(*) FROM test_job_runs"), "one committed run per job");
        assertEquals(jobs, pg.count("SELECT count(DISTINCT period_start) FROM test_job_runs"));
    }

    /**
     * Jobs that wait their turn longer than the visibility timeout (a backlog behind one busy runner) are
     * not hinted again while their queue still holds hints: before, each got one more hint every timeout,
     * each a stale pop and a claim's UPDATE for nothing, and the list grew with the backlog's age.
     */
    @Test
    void jobsWaitingBehindABacklogAreNotHintedAgain() throws Exception {
        JobRegistry registry = JobRegistry.builder().add(new CountingRollUp(TYPE, "slow", Duration.ofMillis(250), 0), 25).build();
        JobStats stats = new JobStats();
        JobRunner r = new JobRunner("slow", new JobStore(pg.db.dataSource(), SETTINGS), registry, null,
                new RedisHints(redis.url(), "t:"), SETTINGS, stats);
        enqueueHours(r, 0, 16); // about 4 s of work, four visibility timeouts
        threads.add(new RunnerThread(r, SETTINGS).start());
        Await.until("every job done", Duration.ofSeconds(60), () -> completed() == 16);
        assertEachRanOnce(16);
        assertEquals(16, stats.claimedFromRedis.get(), "each claimed through its hint");
        assertEquals(0, stats.staleHints.get(), "no duplicate hint popped");
        assertEquals(0, stats.hintsPushed.get(), "each hinted once, when it was enqueued");
    }

    /**
     * A hint lost while its queue holds others (a runner died after popping it, a partial loss of Redis's
     * data) is pushed again a visibility timeout later, though the queue is not empty.
     */
    @Test
    void aHintLostBehindABacklogIsPushedAgain() throws Exception {
        JobRegistry registry = JobRegistry.builder().add(new CountingRollUp(TYPE, "slow", Duration.ofMillis(250), 0), 25).build();
        JobStats stats = new JobStats();
        JobRunner r = new JobRunner("slow", new JobStore(pg.db.dataSource(), SETTINGS), registry, null,
                new RedisHints(redis.url(), "t:"), SETTINGS, stats);
        enqueueHours(r, 0, 16);
        io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(redis.url());
        try (var c = client.connect()) {
            String next = c.sync().lindex("t:ready:25", -1); // the next one out
            assertEquals(1L, c.sync().lrem("t:ready:25", 1, next), "its hint lost");
        } finally {
            client.shutdown();
        }
        threads.add(new RunnerThread(r, SETTINGS).start());
        Await.until("the lost hint pushed again", Duration.ofSeconds(60), () -> stats.hintsPushed.get() == 1);
        // a timeout after the enqueue (1 s here), while the backlog (16 jobs of 250 ms) still waits: not once it has emptied
        assertTrue(completed() < 12, "pushed while others waited: " + completed() + " of 16 done");
        Await.until("every job done", Duration.ofSeconds(60), () -> completed() == 16);
        assertEachRanOnce(16);
        assertEquals(1, stats.hintsPushed.get(), "the lost hint pushed again, and no other");
        assertEquals(0, stats.staleHints.get());
    }

    @Test
    void redisKilledMidRunLosesNoJobAndDoublesNone() throws Exception {
        JobRunner a = runner("a");
        JobRunner b = runner("b");
        enqueueHours(a, 0, 40);
        Await.until("some jobs done through Redis", Duration.ofSeconds(30), () -> completed() >= 5);
        redis.kill();
        Await.until("every job done, claimed from PostgreSQL while Redis is down", Duration.ofSeconds(60), () -> completed() == 40);
        assertEachRanOnce(40);
        assertTrue(a.stats().claimedFromRedis.get() + b.stats().claimedFromRedis.get() >= 5);
        assertTrue(a.stats().claimedFromRedis.get() + b.stats().claimedFromRedis.get() < 40, "some came from PostgreSQL");

        // Redis comes back empty: the runners return to it, and new work flows through it again.
        long viaRedisBefore = a.stats().claimedFromRedis.get() + b.stats().claimedFromRedis.get();
        redis.restart();
        enqueueHours(a, 40, 20);
        Await.until("the new jobs done", Duration.ofSeconds(60), () -> completed() == 60);
        assertEachRanOnce(60);
        Await.until("the runners see Redis again", Duration.ofSeconds(30), () -> a.stats().redisUp && b.stats().redisUp);
        enqueueHours(a, 60, 10);
        Await.until("the last jobs done", Duration.ofSeconds(60), () -> completed() == 70);
        assertEachRanOnce(70);
        assertTrue(a.stats().claimedFromRedis.get() + b.stats().claimedFromRedis.get() > viaRedisBefore,
                "claims through Redis resumed after its restart");
    }

    @Test
    void redisFlushedMidRunLosesNoJobAndDoublesNone() throws Exception {
        JobRunner a = runner("a");
        JobRunner b = runner("b");
        enqueueHours(a, 0, 40);
        Await.until("some jobs done", Duration.ofSeconds(30), () -> completed() >= 5);
        redis.flushAll(); // every hint still queued is gone
        Await.until("every job done, the lost hints pushed again from PostgreSQL", Duration.ofSeconds(60),
                () -> completed() == 40);
        assertEachRanOnce(40);
        assertEquals(40, a.stats().claimedFromRedis.get() + b.stats().claimedFromRedis.get(),
                "Redis stayed up, so every claim came from a hint");
        assertTrue(a.stats().hintsPushed.get() + b.stats().hintsPushed.get() > 0, "lost hints were pushed again");
    }

    /**
     * A runner whose push failed while Redis was down (an enqueue's hint) and whose hints another
     * runner then pushed returns to Redis: before, only a push of its own told it pushes work again,
     * and with none left to push it reported Redis down for good (CI saw it in
     * redisKilledMidRunLosesNoJobAndDoublesNone, whose runner b pushed the hints first).
     */
    @Test
    void aRunnerWhoseHintsAnotherPushedSeesRedisAgain() throws Exception {
        JobRegistry registry = JobRegistry.builder().add(new CountingRollUp(TYPE, "a", Duration.ofMillis(40), 0), 25).build();
        JobStats stats = new JobStats();
        JobRunner a = new JobRunner("a", new JobStore(pg.db.dataSource(), SETTINGS), registry, null,
                new RedisHints(redis.url(), "t:"), SETTINGS, stats);
        redis.kill();
        enqueueHours(a, 0, 3); // its hints cannot be pushed: left to the sweep
        redis.restart();
        JobRunner b = runner("b");
        Await.until("b's sweep pushed the hints and the jobs ran", Duration.ofSeconds(30), () -> completed() == 3);
        assertTrue(b.stats().hintsPushed.get() > 0, "b pushed the hints a could not");
        threads.add(new RunnerThread(a, SETTINGS).start());
        Await.until("runner a sees Redis again", Duration.ofSeconds(10), () -> stats.redisUp);
        assertEachRanOnce(3);
    }

    /**
     * Redis past its {@code maxmemory} with {@code noeviction} (a shared instance another application
     * filled) refuses every push but still answers pops. Before, each runner popped an empty list, took
     * Redis for up and claimed nothing, so no job ran on any node; now they are claimed from PostgreSQL
     * until a push succeeds again, and flow through Redis once it has room.
     */
    @Test
    void redisThatRefusesWritesButAnswersReadsStallsNoJob() throws Exception {
        JobRunner a = runner("a");
        redis.command("CONFIG SET maxmemory-policy noeviction");
        redis.command("CONFIG SET maxmemory 1");
        assertTrue(redis.command("LPUSH t:probe x").startsWith("-OOM"), "Redis refuses writes");
        assertEquals(":0", redis.command("LLEN t:ready:25"), "and still answers reads");
        enqueueHours(a, 0, 10);
        Await.until("every job done, claimed from PostgreSQL", Duration.ofSeconds(60), () -> completed() == 10);
        assertEachRanOnce(10);
        assertEquals(0, a.stats().claimedFromRedis.get());

        redis.command("CONFIG SET maxmemory 0");
        enqueueHours(a, 10, 10);
        Await.until("the new jobs done", Duration.ofSeconds(60), () -> completed() == 20);
        assertEachRanOnce(20);
        Await.until("claims through Redis again", Duration.ofSeconds(30), () -> a.stats().claimedFromRedis.get() > 0);
    }

    /**
     * After an upgrade: a queued job whose type the new version renumbered is hinted under the type's
     * priority now (it was hinted under the row's, on a list no runner pops, and never ran while Redis
     * was up); one of a type the new version removed is counted apart, not as ready for ever.
     */
    @Test
    void jobsOfARenumberedTypeRunAndOnesOfARemovedTypeAreCountedApart() throws Exception {
        JobStore store = new JobStore(pg.db.dataSource(), SETTINGS);
        store.enqueue(TYPE, 99, Period.hourOf(T0), null); // queued by the version before, which gave it 99
        store.enqueue("removed_type", 25, Period.hourOf(T0), null);
        JobRunner a = runner("a");
        Await.until("the renumbered type's job done through Redis", Duration.ofSeconds(30), () -> completed() == 1);
        assertEquals(1, a.stats().claimedFromRedis.get());
        // One sample of the queue's depth holds both: one taken before the renumbered job completed counted it ready.
        Await.until("the removed type's job counted apart, and nothing this version can run waiting", Duration.ofSeconds(30),
                () -> {
                    JobRows.Depth d = a.stats().depth;
                    return d.unknownType() == 1 && d.ready() == 0;
                });
        assertEquals(1, pg.count("SELECT count(*) FROM analytics_jobs WHERE job_type = 'removed_type' AND status = 'queued'"),
                "left for an operator (or a newer node) to decide: never marked dead by an older one");
    }

    @Test
    void hintsFlushedBeforeAnyRunnerStartsAreRedispatched() throws Exception {
        RedisHints hints = new RedisHints(redis.url(), "t:");
        JobRegistry registry = JobRegistry.builder().add(new CountingRollUp(TYPE, "enqueuer"), 25).build();
        try (JobRunner enqueuer = new JobRunner("enqueuer", new JobStore(pg.db.dataSource(), SETTINGS), registry, null, hints,
                SETTINGS, new JobStats())) {
            enqueueHours(enqueuer, 0, 20);
        }
        assertEquals("20", redis.command("LLEN t:ready:25").substring(1));
        redis.flushAll();
        runner("a");
        runner("b");
        Await.until("every job done", Duration.ofSeconds(30), () -> completed() == 20);
        assertEachRanOnce(20);
    }
}
