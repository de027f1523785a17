package io.trackedge.jobs;

import java.sql.SQLException;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One runner, as an agent: {@link #doWork} does one pass and says how much it did; a
 * {@link RunnerThread} owns the thread, the idle strategy and the errors. A pass:
 * <ol>
 *   <li>every sweep interval: take back expired leases, give the {@link Scheduler} its turn, hint
 *       in Redis the ready jobs with no live hint, and refresh the queue depths;</li>
 *   <li>claim one job, from a Redis hint when Redis is configured and answering, else straight from
 *       PostgreSQL ({@code FOR UPDATE SKIP LOCKED}), and run it.</li>
 * </ol>
 * Redis never decides anything: a lost hint is pushed again from {@code analytics_jobs} after the
 * visibility timeout, and while Redis is down the runner claims from PostgreSQL, so no job waits on it.
 */
public final class JobRunner implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(JobRunner.class);
    private static final int HINTS_PER_SWEEP = 1000;

    private final String name;
    private final JobStore store;
    private final JobDispatch dispatch;
    private final JobRegistry registry;
    private final Scheduler scheduler;
    private final RedisHints redis;
    private final JobSettings settings;
    private final JobStats stats;
    private final JobExecutor executor;
    private final List<String> types;
    private final List<Integer> priorities;
    private long nextSweepNanos = System.nanoTime();
    private boolean depthStale;
    private boolean redisDownLogged;
    /**
     * The last hint push failed and none has succeeded since. Redis past its {@code maxmemory} with
     * {@code noeviction} refuses pushes but still answers pops: an empty pop then says nothing about
     * the jobs ready in PostgreSQL, which are claimed from there until a push succeeds again.
     */
    private volatile boolean pushesFailing;

    /**
     * @param scheduler null: this runner schedules nothing (another does, or the CLI runs once)
     * @param redis null: no Redis, claims come from PostgreSQL alone
     */
    public JobRunner(String name, JobStore store, JobRegistry registry, Scheduler scheduler, RedisHints redis,
                     JobSettings settings, JobStats stats) {
        this.name = name;
        this.store = store;
        this.dispatch = new JobDispatch(store.dataSource(), store.settings()); // the store's visibility timeout, as before
        this.registry = registry;
        this.scheduler = scheduler;
        this.redis = redis;
        this.settings = settings;
        this.stats = stats;
        this.executor = new JobExecutor(store, registry, stats, settings, name);
        this.types = registry.names();
        this.priorities = registry.priorities();
    }

    public String name() {
        return name;
    }

    public JobStats stats() {
        return stats;
    }

    /** The job types this runner runs. */
    public JobRegistry registry() {
        return registry;
    }

    /** One pass; returns the work done (0 lets the idle strategy sleep). */
    public int doWork() throws SQLException {
        int work = 0;
        if (System.nanoTime() - nextSweepNanos >= 0) {
            try {
                work += sweep();
            } finally { // a failing sweep must not keep this runner from claiming until it succeeds
                nextSweepNanos = System.nanoTime() + settings.sweepInterval().toNanos();
            }
        }
        Job job = claim();
        if (job != null) {
            stats.claimed.incrementAndGet();
            executor.run(job);
            depthStale = true;
            work++;
        } else if (depthStale) {
            // The queue just emptied: show it now rather than at the next sweep.
            stats.depth = JobRows.depth(store.dataSource(), types);
            depthStale = false;
        }
        return work;
    }

    /** Runs ready jobs until none is left; for {@code trackedge jobs run-once} and tests. Returns how many ran. */
    public int drain() throws SQLException {
        int ran = 0;
        sweep();
        Job job;
        while ((job = claim()) != null) {
            stats.claimed.incrementAndGet();
            executor.run(job);
            ran++;
        }
        return ran;
    }

    /** The lease, scheduling and dispatch housekeeping; public so a test can force one now. */
    public int sweep() throws SQLException {
        int work = 0;
        int reaped = store.reapExpired();
        if (reaped > 0) {
            stats.reaped.addAndGet(reaped);
            log.warn("{} running job(s) taken back: their lease expired", reaped);
            work += reaped;
        }
        // A schedule that fails (every time, say) must not keep the rest of the sweep from running: with
        // Redis up, jobs are claimed only through the hints below, so retries, jobs retry and enqueued
        // jobs would wait for the schedule to mend. Its failure is thrown once the sweep is done.
        Exception scheduleFailed = null;
        if (scheduler != null) {
            try {
                List<JobStore.Enqueued> made = scheduler.tick();
                stats.scheduled.addAndGet(made.size());
                work += made.size();
            } catch (SQLException | RuntimeException e) {
                scheduleFailed = e;
            }
        }
        try {
            if (redis != null) {
                work += hintUndispatched();
            }
            stats.depth = JobRows.depth(store.dataSource(), types);
            depthStale = false;
        } catch (SQLException | RuntimeException e) {
            if (scheduleFailed != null) {
                e.addSuppressed(scheduleFailed);
            }
            throw e;
        }
        if (scheduleFailed instanceof SQLException e) {
            throw e;
        }
        if (scheduleFailed instanceof RuntimeException e) {
            throw e;
        }
        return work;
    }

    private int hintUndispatched() throws SQLException {
        // pushesFailing with redisUp: pops answered (another runner's hints) while this one's pushes failed.
        if ((!stats.redisUp || pushesFailing) && !probeRedis()) {
            return 0;
        }
        List<JobDispatch.Hint> hints = dispatch.takeUndispatched(types, HINTS_PER_SWEEP);
        for (JobDispatch.Hint h : hints) {
            int priority = registry.hintPriority(h.type(), h.priority());
            try {
                // A job merely waiting its turn behind a backlog (a move's thousands of recounts) still has its
                // hint queued: pushed again it would be one more duplicate every timeout. A lost hint is pushed.
                if (h.again() && redis.queued(h.jobId(), priority)) {
                    continue;
                }
                redis.push(h.jobId(), priority);
                stats.hintsPushed.incrementAndGet();
                pushesFailing = false;
                redisUp();
            } catch (RedisHints.Unavailable e) {
                // The rest are marked dispatched but not pushed: pushed again after the visibility
                // timeout, and claimed from PostgreSQL meanwhile.
                pushesFailing = true;
                redisDown(e);
                break;
            }
        }
        return hints.size();
    }

    private boolean probeRedis() {
        try {
            redis.length(priorities);
        } catch (RedisHints.Unavailable e) {
            redisDown(e);
            return false;
        }
        if (pushesFailing) {
            // It answers reads; while it refuses pushes it is not up for dispatch. A push of this runner's
            // own was what told it pushes work again, but another runner may push every hint left (those
            // this one failed to push at an enqueue too), and this one then stayed down for good.
            try {
                redis.probeWrite();
                pushesFailing = false;
            } catch (RedisHints.Unavailable e) {
                return true;
            }
        }
        redisUp();
        return true;
    }

    private Job claim() throws SQLException {
        if (redis != null) {
            try {
                UUID id;
                while ((id = redis.pop(priorities)) != null) {
                    redisUp();
                    Job job = store.claim(id, name, types);
                    if (job != null) {
                        stats.claimedFromRedis.incrementAndGet();
                        return job;
                    }
                    stats.staleHints.incrementAndGet(); // done, running elsewhere, or a duplicate
                }
                if (!pushesFailing) {
                    redisUp();
                    return null;
                }
            } catch (RedisHints.Unavailable e) {
                redisDown(e);
            }
        }
        return store.claimNext(name, types);
    }

    private void redisUp() {
        if (!stats.redisUp) {
            stats.redisUp = true;
            redisDownLogged = false;
            log.info("runner {}: redis answering; claiming from its hints", name);
        }
    }

    private void redisDown(RedisHints.Unavailable e) {
        if (!redisDownLogged) {
            log.warn("runner {}: {}; claiming from PostgreSQL until it is back", name, e.getMessage());
            redisDownLogged = true;
        }
        stats.redisUp = false;
        stats.lastError = e.getMessage();
    }

    /** Enqueues a job and hints it in Redis at once when Redis is configured; the CLI and tests use it. */
    public JobStore.Enqueued enqueue(String type, Period period, UUID tenant) throws SQLException {
        JobStore.Enqueued e = store.enqueue(type, registry.require(type).priority(), period, tenant);
        if (e.created() && redis != null) {
            try {
                redis.push(e.jobId(), e.priority());
                dispatch.markDispatched(e.jobId());
                pushesFailing = false;
            } catch (RedisHints.Unavailable ignored) {
                // The sweep hints it later; PostgreSQL has the job.
                pushesFailing = true;
            }
        }
        return e;
    }

    @Override
    public void close() {
        executor.close();
    }
}
