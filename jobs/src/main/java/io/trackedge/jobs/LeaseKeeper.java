package io.trackedge.jobs;

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews the lease of the job a runner is running, every third of the visibility timeout, on its
 * own thread and connection (the runner's connection is busy inside the roll-up). When the process
 * dies the renewals stop with it, and the job is taken back once the lease passes.
 */
final class LeaseKeeper implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LeaseKeeper.class);

    private final JobStore store;
    private final long periodMillis;
    private final ScheduledExecutorService timer;
    private ScheduledFuture<?> renewal;

    LeaseKeeper(JobStore store, Duration visibilityTimeout, String runner) {
        this.store = store;
        this.periodMillis = Math.max(100, visibilityTimeout.toMillis() / 3);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "job-lease-" + runner);
            t.setDaemon(true);
            return t;
        });
    }

    synchronized void hold(Job job) {
        release();
        renewal = timer.scheduleAtFixedRate(() -> renew(job), periodMillis, periodMillis, TimeUnit.MILLISECONDS);
    }

    synchronized void release() {
        if (renewal != null) {
            renewal.cancel(false);
            renewal = null;
        }
    }

    private void renew(Job job) {
        try {
            if (!store.renewLease(job)) {
                // Its completion will find the claim gone and roll the run back.
                log.warn("job {} ({}): lease lost; another runner may take it", job.jobId(), job.describe());
            }
        } catch (SQLException | RuntimeException e) {
            // The lease runs on; if PostgreSQL stays away longer than the timeout the job is taken back.
            // A RuntimeException too: one escaping a periodic task would cancel every later renewal.
            log.warn("job {}: lease renewal failed: {}", job.jobId(), e.getMessage());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
