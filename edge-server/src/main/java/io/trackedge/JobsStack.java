package io.trackedge;

import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.trackedge.config.EdgeConfig;
import io.trackedge.http.Readiness;
import io.trackedge.jobs.JobRegistry;
import io.trackedge.jobs.JobRunner;
import io.trackedge.jobs.JobSettings;
import io.trackedge.jobs.JobStats;
import io.trackedge.jobs.JobStore;
import io.trackedge.jobs.RedisHints;
import io.trackedge.jobs.RunnerThread;
import io.trackedge.jobs.Scheduler;
import io.trackedge.metrics.EdgeMetrics;
import io.trackedge.db.Database;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's analytics job runner (one thread), with its own small connection pool so that a long
 * roll-up never takes the sink's connections, its Redis hints, metrics and readiness check. Absent
 * when {@code edge.jobs.enabled} is off or there is no database.
 */
record JobsStack(Database db, JobRunner runner, RunnerThread thread, RedisHints redis) {

    private static final Logger log = LoggerFactory.getLogger(JobsStack.class);
    private static final int POOL = 3; // the job's transaction, its lease renewals, the sweeps

    static JobsStack start(EdgeConfig config, Database sinkDb, UUID node, EdgeMetrics metrics, Readiness readiness) {
        EdgeConfig.Jobs c = config.jobs();
        if (!c.enabled() || sinkDb == null) {
            String why = !c.enabled() ? "edge.jobs.enabled is false on this node" : "no database";
            readiness.add("jobs", () -> Readiness.Status.ok("disabled: " + why));
            return null;
        }
        JobSettings settings = JobTypes.settings(c);
        JobRegistry registry = JobTypes.registry(config.database().retentionDays());
        String name = "edge-" + node.toString().substring(0, 8) + "-" + ProcessHandle.current().pid();
        Database db = new Database(sinkDb.info(), POOL);
        JobStore store = new JobStore(db.dataSource(), settings);
        RedisHints redis = c.redisUrl().isEmpty() ? null : new RedisHints(c.redisUrl(), "trackedge:jobs:");
        JobStats stats = new JobStats();
        JobRunner runner = new JobRunner(name, store, registry,
                new Scheduler(db.dataSource(), registry, store, Clock.systemUTC(), settings.scheduleDelay(), name),
                redis, settings, stats);
        // The sink applies the migrations on its own thread; a roll-up must not run before they are all in.
        // Flyway serialises the two callers, so the second finds nothing left to apply.
        RunnerThread thread = new RunnerThread(runner, settings, () -> {
            if (config.database().migrateOnStart()) {
                db.migrate();
            }
        }).start();
        log.info("job runner {}: types {}; dispatch {}", name, registry.names(),
                redis == null ? "from PostgreSQL" : "through Redis hints, PostgreSQL when Redis is down");
        metrics(metrics, stats);
        readiness.add("jobs", () -> status(runner, thread, settings, redis != null));
        return new JobsStack(db, runner, thread, redis);
    }

    private static void metrics(EdgeMetrics m, JobStats s) {
        GaugeWithCallback.builder().name("edge_jobs_ready").help("Jobs ready to run (queued, or failed and due), by priority")
                .labelNames("priority").callback(cb -> {
                    for (Map.Entry<Integer, Long> e : s.depth.readyByPriority().entrySet()) {
                        cb.call(e.getValue(), String.valueOf(e.getKey()));
                    }
                }).register(m.registry());
        m.gauge("edge_jobs_running", "Jobs running on any node", () -> s.depth.running());
        m.gauge("edge_jobs_waiting_retry", "Failed jobs waiting for their next attempt", () -> s.depth.failedWaiting());
        m.gauge("edge_jobs_dead", "Jobs that used every attempt (edge jobs list --status dead; edge jobs retry)",
                () -> s.depth.dead());
        m.gauge("edge_jobs_redis_up", "1 while this runner gets its jobs through Redis", () -> s.redisUp ? 1 : 0);
        m.gauge("edge_jobs_last_run_seconds", "Duration of this runner's last job", () -> s.lastRunSeconds);
        m.counter("edge_jobs_claimed_total", "Jobs this runner claimed", () -> s.claimed.get());
        m.counter("edge_jobs_claimed_from_redis_total", "Jobs this runner claimed from a Redis hint", () -> s.claimedFromRedis.get());
        m.counter("edge_jobs_completed_total", "Jobs this runner completed", () -> s.completed.get());
        m.counter("edge_jobs_failures_total", "Attempts that failed on this runner (retried, or dead)", () -> s.failures.get());
        m.counter("edge_jobs_deaths_total", "Jobs this runner moved to dead", () -> s.dead.get());
        m.counter("edge_jobs_reaped_total", "Running jobs taken back after their lease expired", () -> s.reaped.get());
        m.counter("edge_jobs_lost_claims_total", "Runs rolled back because another runner had taken the job",
                () -> s.lostClaims.get());
        m.counter("edge_jobs_scheduled_total", "Jobs this node's scheduler enqueued", () -> s.scheduled.get());
        m.counter("edge_jobs_run_seconds_total", "Time spent running completed jobs (divide by completed for the mean)",
                () -> s.runNanos.get() / 1e9);
        m.counter("edge_jobs_latency_seconds_total", "Enqueue to completion, summed over completed jobs",
                () -> s.latencyNanos.get() / 1e9);
        m.counter("edge_jobs_loop_errors_total", "Runner passes that failed (PostgreSQL unreachable, mostly)",
                () -> s.loopErrors.get());
    }

    /** Informational unless the runner is stuck: its thread died, or one job has run longer than stuck-after. */
    private static Readiness.Status status(JobRunner runner, RunnerThread thread, JobSettings settings, boolean redis) {
        JobStats s = runner.stats();
        String current = s.currentJob;
        long runningMillis = current == null ? 0 : System.currentTimeMillis() - s.currentSinceMillis;
        Map<Integer, Long> ready = new TreeMap<>(s.depth.readyByPriority());
        String detail = String.format("runner %s, dispatch %s; ready %d %s, running %d, waiting retry %d, dead %d;"
                        + " completed %d, failed attempts %d%s%s", runner.name(),
                !redis ? "postgres" : s.redisUp ? "redis" : s.lastError.isEmpty() ? "redis (not reached yet)"
                        : "postgres (redis down: " + s.lastError + ")",
                s.depth.ready(), ready, s.depth.running(), s.depth.failedWaiting(), s.depth.dead(), s.completed.get(),
                s.failures.get(), current == null ? "" : "; now " + current + " for " + runningMillis / 1000 + " s",
                s.loopErrors.get() == 0 ? "" : "; last error: " + s.lastError);
        if (!thread.healthy()) {
            return Readiness.Status.failing("runner thread died; " + detail);
        }
        if (current != null && runningMillis > settings.stuckAfter().toMillis()) {
            return Readiness.Status.failing("stuck: one job for longer than " + settings.stuckAfter() + "; " + detail);
        }
        return Readiness.Status.ok(detail);
    }

    void stop(Duration grace) {
        try {
            thread.stop(grace);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (redis != null) {
            redis.close();
        }
        db.close();
    }
}
