package io.trackedge.cli;

import io.trackedge.JobTypes;
import io.trackedge.config.EdgeConfig;
import io.trackedge.jobs.JobRegistry;
import io.trackedge.jobs.JobRows;
import io.trackedge.jobs.JobRunner;
import io.trackedge.jobs.JobSettings;
import io.trackedge.jobs.JobStats;
import io.trackedge.jobs.JobStatus;
import io.trackedge.jobs.JobStore;
import io.trackedge.jobs.Period;
import io.trackedge.db.Database;
import java.io.PrintWriter;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.UUID;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code trackedge jobs list|enqueue|retry|run-once}: the analytics jobs in the configured database.
 * Jobs enqueued or retried here are picked up by the edges' runners (from PostgreSQL, or through
 * Redis within the visibility timeout); {@code run-once} runs the ready ones in this process.
 */
@Command(name = "jobs", mixinStandardHelpOptions = true,
        description = "List, enqueue, retry and run the analytics jobs (roll-ups, retention).",
        subcommands = {JobsCommand.ListJobs.class, JobsCommand.Enqueue.class, JobsCommand.Retry.class, JobsCommand.RunOnce.class})
public final class JobsCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** A jobs command: works on the {@link JobStore} of the configured database and the registered job types. */
    abstract static class OnJobs extends DatabaseCommand {
        abstract int run(JobStore store, JobRegistry registry, EdgeConfig cfg, PrintWriter out) throws Exception;

        @Override
        final int run(EdgeConfig cfg, CliDatabase db, PrintWriter out) throws Exception {
            // A job's transaction, its lease renewals and the compaction's rebuild need a connection each.
            try (Database pool = new Database(db.db().info(), 3, CliDatabase.LONG_WORK)) {
                return run(new JobStore(pool.dataSource(), settings(cfg)), JobTypes.registry(cfg.database().retentionDays(), pool.dataSource()),
                        cfg, out);
            }
        }

        static JobSettings settings(EdgeConfig cfg) {
            return JobTypes.settings(cfg.jobs());
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List jobs, latest period first, and the queue depths.")
    static final class ListJobs extends OnJobs {
        @Option(names = "--status", paramLabel = "STATUS", description = "only queued, running, completed, failed or dead")
        String status;
        @Option(names = "--limit", defaultValue = "50", description = "at most this many rows (default ${DEFAULT-VALUE})")
        int limit;

        @Override
        int run(JobStore store, JobRegistry registry, EdgeConfig cfg, PrintWriter out) throws Exception {
            JobStatus only;
            try {
                only = status == null ? null : JobStatus.parse(status);
            } catch (IllegalArgumentException e) {
                spec.commandLine().getErr().println("--status must be queued, running, completed, failed or dead, got " + status);
                return 2;
            }
            if (limit < 1) {
                spec.commandLine().getErr().println("--limit must be at least 1, got " + limit);
                return 2;
            }
            String format = "%-36s  %-24s  %-26s  %-8s  %3s  %-9s  %-7s  %8s  %-19s  %-19s  %-19s  %s%n";
            out.printf(format, "JOB ID", "TYPE", "PERIOD", "TENANT", "PRI", "STATUS", "TRIES", "DEFERRED", "QUEUED", "NEXT TRY",
                    "FINISHED", "RUNNER / LAST ERROR");
            for (JobRows.Row r : JobRows.list(store.dataSource(), only, limit)) {
                String note = r.status() == JobStatus.RUNNING || r.lastError() == null ? nonNull(r.runner())
                        : r.runner() == null ? oneLine(r.lastError()) : r.runner() + " / " + oneLine(r.lastError());
                out.printf(format, r.jobId(), r.type(), r.period(), r.tenant() == null ? "*" : r.tenant().toString().substring(0, 8),
                        r.priority(), r.status().sql(), r.attempts() + "/" + r.maxAttempts(), r.deferrals(), time(r.queuedAt()),
                        time(r.nextTry()), time(r.finishedAt()), note);
            }
            JobRows.Depth d = JobRows.depth(store.dataSource(), registry.names());
            out.printf("ready %d by priority %s, running %d, waiting retry %d, dead %d%s%n", d.ready(),
                    new java.util.TreeMap<>(d.readyByPriority()), d.running(), d.failedWaiting(), d.dead(),
                    d.unknownType() == 0 ? "" : ", of a type this version does not run " + d.unknownType()
                            + " (removed by an upgrade, or added by a newer node; types: " + String.join(", ", registry.names()) + ")");
            return 0;
        }
    }

    @Command(name = "enqueue", mixinStandardHelpOptions = true,
            description = "Enqueue a job; enqueuing the same type, period and tenant again gives the same job.")
    static final class Enqueue extends OnJobs {
        @Parameters(index = "0", paramLabel = "TYPE", description = "a job type (an unknown one is answered with the list)")
        String type;
        @Parameters(index = "1", paramLabel = "PERIOD", description = "hour:2026-12-01T13:00:00Z, day:2026-12-01, week:2026-11-30 (a Monday), month:2026-12")
        String period;
        @Option(names = "--tenant", paramLabel = "UUID", description = "only this tenant (default: every tenant)")
        UUID tenant;

        @Override
        int run(JobStore store, JobRegistry registry, EdgeConfig cfg, PrintWriter out) throws Exception {
            Period p;
            JobRegistry.JobType t;
            try {
                p = Period.parse(period);
                t = registry.require(type);
            } catch (IllegalArgumentException | java.time.DateTimeException e) {
                spec.commandLine().getErr().println(e.getMessage());
                return 2;
            }
            JobStore.Enqueued e = store.enqueue(t.name(), t.priority(), p, tenant);
            out.printf("%s %s %s (%s)%n", e.created() ? "enqueued" : "already there:", e.jobId(), t.name() + " " + p,
                    tenant == null ? "every tenant" : "tenant " + tenant);
            return 0;
        }
    }

    @Command(name = "retry", mixinStandardHelpOptions = true,
            description = "Put a dead, failed or completed job back in the queue with its attempts reset (re-running is safe: "
                    + "a roll-up recomputes its period), or a deferred one (queued, not due yet) to run now.")
    static final class Retry extends OnJobs {
        @Parameters(index = "0", arity = "0..1", paramLabel = "JOB-ID") UUID jobId;
        @Option(names = "--all-dead", description = "every dead job") boolean allDead;

        @Override
        int run(JobStore store, JobRegistry registry, EdgeConfig cfg, PrintWriter out) throws Exception {
            if ((jobId == null) == !allDead) {
                spec.commandLine().getErr().println("give one JOB-ID or --all-dead");
                return 2;
            }
            int n = store.retry(jobId);
            if (n == 0) {
                spec.commandLine().getErr().println(jobId == null ? "no dead job" : "no dead, failed or completed job " + jobId);
                return 1;
            }
            out.printf("requeued %d job(s)%n", n);
            return 0;
        }
    }

    @Command(name = "run-once", mixinStandardHelpOptions = true,
            description = "Run every ready job here, now (claimed from PostgreSQL like any runner), then exit; "
                    + "non-zero if any failed or was deferred (it lost a lock wait: trackedge jobs list shows when it runs again). "
                    + "With --type and --period, a job a running server's runner took first is waited for (at most a minute).")
    static final class RunOnce extends OnJobs {
        @Option(names = "--type", paramLabel = "TYPE", description = "with --period: enqueue this job first") String type;
        @Option(names = "--period", paramLabel = "PERIOD", description = "with --type: the period of the job to enqueue") String period;
        @Option(names = "--tenant", paramLabel = "UUID", description = "with --type: only this tenant") UUID tenant;

        @Override
        int run(JobStore store, JobRegistry registry, EdgeConfig cfg, PrintWriter out) throws Exception {
            JobStats stats = new JobStats();
            String name = "cli-" + ProcessHandle.current().pid();
            try (JobRunner runner = new JobRunner(name, store, registry, null, null, settings(cfg), stats)) {
                if ((type == null) != (period == null)) {
                    spec.commandLine().getErr().println("--type and --period go together");
                    return 2;
                }
                UUID asked = null;
                if (type != null) {
                    try {
                        JobStore.Enqueued e = runner.enqueue(type, Period.parse(period), tenant);
                        asked = e.jobId();
                        // One already run (or failed, or deferred) is queued again: the numbers asked for are of now.
                        boolean again = !e.created() && store.retry(e.jobId()) > 0;
                        out.printf("%s %s%s%n", e.created() ? "enqueued" : "already there:", e.jobId(), again ? " (queued again)" : "");
                    } catch (IllegalArgumentException | java.time.DateTimeException e) {
                        spec.commandLine().getErr().println(e.getMessage());
                        return 2;
                    }
                }
                int ran = runner.drain();
                out.printf("ran %d job(s): %d completed, %d failed (%d now dead), %d deferred, %d split by tenant; types: %s%n",
                        ran, stats.completed.get(), stats.failures.get(), stats.dead.get(), stats.deferred.get(),
                        stats.splits.get(), String.join(", ", registry.names()));
                boolean ok = stats.failures.get() == 0 && stats.deferred.get() == 0;
                if (asked != null) {
                    // A running server's runner may have taken the job before this one could: its result is what was asked for.
                    String status = awaitFinished(store, asked, Duration.ofMinutes(1));
                    out.printf("job %s: %s%n", asked, status);
                    ok &= status.equals("completed");
                }
                return ok ? 0 : 1;
            }
        }
    }

    /**
     * The job's outcome once it is settled ({@link JobRows.Outcome#settled}), or after {@code limit} as it
     * stands: "completed" when it (and, split by tenant, each tenant's job) completed.
     */
    static String awaitFinished(JobStore store, UUID job, Duration limit) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        JobRows.Outcome o;
        while ((o = JobRows.outcome(store.dataSource(), job)) != null && !o.settled() && System.nanoTime() <= deadline) {
            Thread.sleep(100);
        }
        if (o == null) {
            return "gone (deleted)";
        }
        String status = o.status().sql();
        if (o.tenantJobs() > 0) {
            if (o.tenantJobsPending() > 0) {
                return "pending: split by tenant, " + o.tenantJobsPending() + " of " + o.tenantJobs() + " tenant job(s) not finished";
            }
            return o.tenantJobsFailed() == 0 ? status
                    : "split by tenant: " + o.tenantJobsFailed() + " of " + o.tenantJobs() + " tenant job(s) failed";
        }
        if (!o.settled()) {
            return status + " after " + limit.toSeconds() + " s (another runner has it)";
        }
        return o.status() == JobStatus.QUEUED ? "deferred (trackedge jobs list shows when it runs again)" : status;
    }

    private static String nonNull(String s) {
        return s == null ? "" : s;
    }

    private static String oneLine(String s) {
        String one = s.replace('\n', ' ');
        return one.length() > 120 ? one.substring(0, 117) + "..." : one;
    }

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

    private static String time(Instant t) {
        return t == null ? "-" : TIME.format(t);
    }
}
