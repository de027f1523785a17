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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's analytics job runners (one thread per PostgreSQL cluster), each with its own small
 * connection pool so that a long roll-up never takes the sink's connections, its Redis hints and
 * readiness check, and the metrics of them all. Absent when {@code edge.jobs.enabled} is off or
 * there is no database.
 */
record JobsStack(List<ClusterRunner> runners) {

    private static final Logger log = LoggerFactory.getLogger(JobsStack.class);
    private static final int POOL = 4; // the job's transaction, its lease renewals, the sweeps, the compaction's rebuild

    /**
     * One cluster's runner: its jobs table, its roll-ups and its Redis keys are that cluster's, so
     * a tenant's roll-ups are made where its events are.
     */
    record ClusterRunner(String cluster, Database db, JobRunner runner, RunnerThread thread, RedisHints redis) {
    }

    /** @param sinkDbs the Postgres sinks' databases, one per cluster in the clusters' order */
    static JobsStack start(EdgeConfig config, List<Database> sinkDbs, UUID node, EdgeMetrics metrics, Readiness readiness) {
        EdgeConfig.Jobs c = config.jobs();
        if (!c.enabled() || sinkDbs.isEmpty()) {
            String why = !c.enabled() ? "edge.jobs.enabled is false on this node" : "no database";
            readiness.add("jobs", () -> Readiness.Status.ok("disabled: " + why));
            return null;
        }
        List<EdgeConfig.Cluster> clusters = config.database().clusters().list();
        List<ClusterRunner> runners = new ArrayList<>();
        for (int i = 0; i < sinkDbs.size(); i++) {
            String cluster = clusters.isEmpty() ? null : clusters.get(i).name();
            runners.add(start(config, cluster, sinkDbs.get(i), node, readiness));
        }
        // Every registered priority gets a ready series, 0 when none are ready: a dashboard or an alert
        // over edge_jobs_ready then reads 0 on an idle queue, not "no data".
        Set<Integer> priorities = new TreeSet<>(runners.get(0).runner().registry().priorities()); // backfill's too
        metrics(metrics, runners.stream().map(r -> r.runner().stats()).toList(), priorities);
        JobSettings settings = JobTypes.settings(c);
        // What /readyz reports as degraded, for alerts: the node stays in the balancer's pool for these.
        metrics.gauge("edge_jobs_runners_down", "This node's job runner threads that died (its jobs wait for other nodes)",
                () -> runners.stream().filter(r -> !r.thread().healthy()).count());
        metrics.gauge("edge_jobs_stuck", "This node's runners whose job has run longer than edge.jobs.stuck-after",
                () -> runners.stream().filter(r -> stuck(r.runner().stats(), settings)).count());
        return new JobsStack(List.copyOf(runners));
    }

    private static ClusterRunner start(EdgeConfig config, String cluster, Database sinkDb, UUID node, Readiness readiness) {
        EdgeConfig.Jobs c = config.jobs();
        JobSettings settings = JobTypes.settings(c);
        String name = "edge-" + node.toString().substring(0, 8) + "-" + ProcessHandle.current().pid()
                + (cluster == null ? "" : "-" + cluster);
        // The pool keeps the 60 s limit for claims, sweeps and lease renewals; a roll-up's own connection
        // (and compaction's rebuild) may wait up to stuck-after (JobExecutor).
        Database db = new Database(sinkDb.info(), POOL);
        JobRegistry registry = JobTypes.registry(config.database().retentionDays(), db.dataSource());
        JobStore store = new JobStore(db.dataSource(), settings);
        // Each cluster's queue has its own keys: a hint names a job of that cluster's table.
        RedisHints redis = c.redisUrl().isEmpty() ? null
                : new RedisHints(c.redisUrl(), "trackedge:jobs:" + (cluster == null ? "" : cluster + ":"));
        JobStats stats = new JobStats();
        JobRunner runner = new JobRunner(name, store, registry,
                new Scheduler(db.dataSource(), registry, store, Clock.systemUTC(), true, settings.scheduleDelay(), name, stats),
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
        readiness.add(cluster == null ? "jobs" : "jobs-" + cluster, () -> status(runner, thread, settings, redis != null));
        return new ClusterRunner(cluster, db, runner, thread, redis);
    }

    /** The runners' figures summed: one cluster's or several, the series are the same. */
    private static void metrics(EdgeMetrics m, List<JobStats> all, Set<Integer> priorities) {
        GaugeWithCallback.builder().name("edge_jobs_ready").help("Jobs ready to run (queued or failed, and due), by priority")
                .labelNames("priority").callback(cb -> {
                    Map<Integer, Long> ready = new TreeMap<>();
                    priorities.forEach(p -> ready.put(p, 0L));
                    all.forEach(s -> s.depth.readyByPriority().forEach((p, n) -> ready.merge(p, n, Long::sum)));
                    ready.forEach((p, n) -> cb.call(n, String.valueOf(p)));
                }).register(m.registry());
        m.gauge("edge_jobs_running", "Jobs running on any node", () -> sum(all, s -> s.depth.running()));
        m.gauge("edge_jobs_waiting_retry", "Jobs waiting for their next try: failed, or deferred after a lost lock wait", () -> sum(all, s -> s.depth.failedWaiting()));
        m.gauge("edge_jobs_unknown_type", "Queued or failed jobs of a type this node's version does not run (removed by an"
                + " upgrade, or added by a newer node): trackedge jobs list shows them", () -> sum(all, s -> s.depth.unknownType()));
        m.gauge("edge_jobs_dead", "Jobs that used every attempt (trackedge jobs list --status dead; trackedge jobs retry)",
                () -> sum(all, s -> s.depth.dead()));
        m.gauge("edge_jobs_redis_up", "1 while this node's runners get their jobs through Redis",
                () -> all.stream().allMatch(s -> s.redisUp) ? 1 : 0);
        m.gauge("edge_jobs_last_run_seconds", "Duration of this node's last job (the longest of its runners' last)",
                () -> all.stream().mapToDouble(s -> s.lastRunSeconds).max().orElse(0));
        m.counter("edge_jobs_claimed_total", "Jobs this node claimed", () -> sum(all, s -> s.claimed.get()));
        m.counter("edge_jobs_claimed_from_redis_total", "Jobs this node claimed from a Redis hint",
                () -> sum(all, s -> s.claimedFromRedis.get()));
        m.counter("edge_jobs_completed_total", "Jobs this node completed", () -> sum(all, s -> s.completed.get()));
        m.counter("edge_jobs_failures_total", "Attempts that failed on this node (retried, or dead)", () -> sum(all, s -> s.failures.get()));
        m.counter("edge_jobs_deferred_total", "Runs that lost a lock wait, deadlock or serialization check and were deferred, "
                + "not counted as attempts", () -> sum(all, s -> s.deferred.get()));
        m.counter("edge_jobs_deaths_total", "Jobs this node moved to dead", () -> sum(all, s -> s.dead.get()));
        m.counter("edge_jobs_splits_total", "Every-tenant jobs split into a job per tenant after one tenant's data failed them",
                () -> sum(all, s -> s.splits.get()));
        m.counter("edge_jobs_reaped_total", "Running jobs taken back after their lease expired", () -> sum(all, s -> s.reaped.get()));
        m.counter("edge_jobs_lost_claims_total", "Runs rolled back because another runner had taken the job",
                () -> sum(all, s -> s.lostClaims.get()));
        m.counter("edge_jobs_scheduled_total", "Jobs this node's schedulers enqueued", () -> sum(all, s -> s.scheduled.get()));
        m.counter("edge_jobs_run_seconds_total", "Time spent running completed jobs (divide by completed for the mean)",
                () -> sum(all, s -> s.runNanos.get()) / 1e9);
        m.counter("edge_jobs_latency_seconds_total", "Enqueue to completion, summed over completed jobs",
                () -> sum(all, s -> s.latencyNanos.get()) / 1e9);
        m.counter("edge_jobs_loop_errors_total", "Runner passes that failed (PostgreSQL unreachable, mostly)",
                () -> sum(all, s -> s.loopErrors.get()));
        m.counter("edge_jobs_late_rerun_failures_total", "Scheduler ticks whose re-runs for late events failed (the closed"
                + " periods they landed in wait for a tick that succeeds)", () -> sum(all, s -> s.lateRerunFailures.get()));
    }

    private static double sum(List<JobStats> all, ToLongFunction<JobStats> f) {
        return all.stream().mapToLong(f).sum();
    }

    /** Whether one job has run longer than {@code stuck-after}. */
    static boolean stuck(JobStats s, JobSettings settings) {
        return s.currentJob != null && System.currentTimeMillis() - s.currentSinceMillis > settings.stuckAfter().toMillis();
    }

    /** Informational, or degraded when the runner is stuck: its thread died, or one job has run longer than stuck-after. */
    static Readiness.Status status(JobRunner runner, RunnerThread thread, JobSettings settings, boolean redis) {
        JobStats s = runner.stats();
        String current = s.currentJob;
        long runningMillis = current == null ? 0 : System.currentTimeMillis() - s.currentSinceMillis;
        Map<Integer, Long> ready = new TreeMap<>(s.depth.readyByPriority());
        String detail = String.format("runner %s, dispatch %s; ready %d %s, running %d, waiting retry %d, dead %d;"
                        + " completed %d, failed attempts %d, deferred %d%s%s", runner.name(),
                !redis ? "postgres" : s.redisUp ? "redis" : s.lastError.isEmpty() ? "redis (not reached yet)"
                        : "postgres (redis down: " + s.lastError + ")",
                s.depth.ready(), ready, s.depth.running(), s.depth.failedWaiting(), s.depth.dead(), s.completed.get(),
                s.failures.get(), s.deferred.get(), current == null ? "" : "; now " + current + " for " + runningMillis / 1000 + " s",
                s.loopErrors.get() == 0 ? "" : "; last error: " + s.lastError);
        // Degraded, never failing: the jobs serve no request, and a node drained for them would stop tracking too.
        if (!thread.healthy()) {
            return Readiness.Status.degraded("runner thread died; " + detail);
        }
        if (stuck(s, settings)) {
            return Readiness.Status.degraded("stuck: one job for longer than " + settings.stuckAfter() + "; " + detail);
        }
        return Readiness.Status.ok(detail);
    }

    /**
     * Stops the runners one after the other within {@code grace}, their connection pools' closes included
     * ({@link Database#closeBy}); a job still running is left to its lease.
     */
    void stop(Duration grace) {
        long deadline = System.nanoTime() + grace.toNanos();
        for (ClusterRunner r : runners) {
            try {
                r.thread().stop(Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (r.redis() != null) {
                r.redis().close();
            }
            r.db().closeBy(deadline);
        }
    }
}
