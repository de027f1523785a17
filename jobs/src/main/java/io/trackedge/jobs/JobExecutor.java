package io.trackedge.jobs;

import io.trackedge.db.Transaction;
import java.sql.Connection;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one claimed job: its roll-up and the completion of its row in one transaction, committed
 * only if the claim still holds, so a run whose lease was taken over leaves nothing behind and a
 * job's effects commit once. A roll-up that throws fails the attempt ({@link JobStore#fail}: retried
 * after a backoff, or dead after the last attempt), unless what it lost was a contention with other
 * work ({@link Contention}): then the job is deferred ({@link JobStore#defer}) and keeps its attempts.
 * The runner goes on with the next job.
 */
final class JobExecutor implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(JobExecutor.class);

    /** What became of a run. */
    enum Outcome { COMPLETED, DEFERRED, SPLIT, FAILED, DEAD, LOST_CLAIM }

    private final JobStore store;
    private final JobRegistry registry;
    private final JobStats stats;
    private final LeaseKeeper lease;
    private final TenantSplit split;
    /**
     * How long a roll-up's connection may wait on the server: a statement over a large day may run for
     * minutes, past the pool's 60 s (kept for claims, sweeps and lease renewals), but not past the time
     * after which the job is reported stuck. HikariCP puts the pool's back when the connection returns.
     */
    private final int longWaitMillis;

    JobExecutor(JobStore store, JobRegistry registry, JobStats stats, JobSettings settings, String runner) {
        this.store = store;
        this.registry = registry;
        this.stats = stats;
        this.lease = new LeaseKeeper(store, settings.visibilityTimeout(), runner);
        this.longWaitMillis = (int) Math.min(Integer.MAX_VALUE, settings.stuckAfter().toMillis());
        this.split = new TenantSplit(store, longWaitMillis);
    }

    Outcome run(Job job) throws SQLException {
        RollUp rollUp = registry.require(job.type()).rollUp();
        long t0 = System.nanoTime();
        stats.currentSinceMillis = System.currentTimeMillis(); // first: a reader never sees this job with the last one's start
        stats.currentJob = job.describe() + " (attempt " + job.attempt() + ")";
        lease.hold(job);
        try {
            JobStore.Completion done = runInTransaction(rollUp, job);
            long nanos = System.nanoTime() - t0;
            stats.lastRunSeconds = nanos / 1e9;
            if (done == JobStore.Completion.LOST) {
                stats.lostClaims.incrementAndGet();
                log.warn("job {} ({}): claim lost while running; its work was rolled back", job.jobId(), job.describe());
                return Outcome.LOST_CLAIM;
            }
            stats.completed.incrementAndGet();
            stats.runNanos.addAndGet(nanos);
            stats.latencyNanos.addAndGet(Math.max(0, System.currentTimeMillis() - job.queuedAt().toEpochMilli()) * 1_000_000);
            if (done == JobStore.Completion.REQUEUED) {
                log.info("job {} ({}) completed in {} ms, and is queued again: events landed in its period while it ran",
                        job.jobId(), job.describe(), nanos / 1_000_000);
            } else {
                log.info("job {} ({}) completed in {} ms", job.jobId(), job.describe(), nanos / 1_000_000);
            }
            return Outcome.COMPLETED;
        } catch (Exception | Error e) {
            // An Error too (a class missing after a package upgrade replaced the jar, a roll-up out of memory):
            // the job fails with its cause and backs off, and the runner lives on, rather than the thread dying
            // and the job waiting out its lease as "lease expired", then doing the same on the next node.
            String error = e.getClass().getSimpleName() + ": " + e.getMessage();
            String contention = Contention.of(e);
            if (contention != null
                    && store.defer(job, "deferred (SQLState " + contention + ", not counted as an attempt): " + error) != null) {
                stats.deferred.incrementAndGet();
                log.warn("job {} ({}) lost a contention (SQLState {}) and waits in the queue, its attempt given back: {}",
                        job.jobId(), job.describe(), contention, error);
                return Outcome.DEFERRED;
            }
            if (TenantSplit.applies(job, rollUp, e)) {
                Outcome o = split(job, error, e);
                if (o != null) {
                    return o;
                }
            }
            // Not a contention, or deferred max-deferrals times in a row (or its claim lost: fail says so too)
            stats.failures.incrementAndGet();
            JobStatus now = store.fail(job, error);
            if (now == null) {
                stats.lostClaims.incrementAndGet();
                log.warn("job {} ({}): claim lost while it failed: {}", job.jobId(), job.describe(), error);
                return Outcome.LOST_CLAIM;
            }
            if (now == JobStatus.DEAD) {
                stats.dead.incrementAndGet();
                log.error("job {} ({}) is dead after {} attempts: {}", job.jobId(), job.describe(), job.attempt(), error, e);
                return Outcome.DEAD;
            }
            log.warn("job {} ({}) attempt {} of {} failed, retried later: {}", job.jobId(), job.describe(), job.attempt(),
                    job.maxAttempts(), error, e);
            return Outcome.FAILED;
        } finally {
            lease.release();
            stats.currentJob = null;
        }
    }

    /** One tenant's data failed an every-tenant job: a job per tenant ({@link TenantSplit}); null when not split. */
    private Outcome split(Job job, String error, Throwable cause) {
        try {
            int tenants = split.split(job, error);
            if (tenants < 0) {
                stats.lostClaims.incrementAndGet();
                log.warn("job {} ({}): claim lost while it was split by tenant: {}", job.jobId(), job.describe(), error);
                return Outcome.LOST_CLAIM;
            }
            if (tenants > 0) {
                stats.splits.incrementAndGet();
                log.warn("job {} ({}) failed on data and is split into {} tenant jobs, so that one tenant's rows do not stop"
                        + " the others' numbers: {}", job.jobId(), job.describe(), tenants, error, cause);
                return Outcome.SPLIT;
            }
        } catch (SQLException | RuntimeException failed) {
            log.warn("job {} ({}): could not be split by tenant, failed as it is: {}", job.jobId(), job.describe(), failed.toString());
        }
        return null;
    }

    private JobStore.Completion runInTransaction(RollUp rollUp, Job job) throws SQLException {
        try (Connection c = store.dataSource().getConnection()) {
            c.setNetworkTimeout(Runnable::run, longWaitMillis);
            c.setAutoCommit(false);
            try {
                rollUp.run(c, job.period(), job.tenant());
                JobStore.Completion done = store.complete(c, job);
                if (done != JobStore.Completion.LOST) {
                    c.commit();
                } else {
                    c.rollback();
                }
                return done;
            } catch (SQLException | RuntimeException | Error e) {
                Transaction.rollbackAfter(c, e);
                throw e;
            }
        }
    }

    @Override
    public void close() {
        lease.close();
    }
}
