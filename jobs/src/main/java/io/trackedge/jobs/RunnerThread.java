package io.trackedge.jobs;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread of one {@link JobRunner}: loops {@code doWork}, idles when a pass did nothing, and
 * on an error (PostgreSQL unreachable, mostly; a {@link Error} too) records it, backs off to the idle
 * maximum and tries again: nothing is lost meanwhile, the jobs wait in {@code analytics_jobs}.
 */
public final class RunnerThread implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RunnerThread.class);

    /** Done once, on the runner's thread, before its first pass; retried like a pass until it succeeds. */
    @FunctionalInterface
    public interface Preparation {
        void prepare() throws Exception;
    }

    private final JobRunner runner;
    private final JobSettings settings;
    private final Preparation preparation;
    private final Thread thread;
    private volatile boolean running = true;

    public RunnerThread(JobRunner runner, JobSettings settings) {
        this(runner, settings, () -> { });
    }

    /** @param preparation e.g. applying the migrations, so that no job runs against an older schema */
    public RunnerThread(JobRunner runner, JobSettings settings, Preparation preparation) {
        this.runner = runner;
        this.settings = settings;
        this.preparation = preparation;
        this.thread = new Thread(this::loop, "job-runner-" + runner.name());
        thread.setDaemon(true);
    }

    public RunnerThread start() {
        thread.start();
        return this;
    }

    private void loop() {
        IdleStrategy idle = new IdleStrategy(settings.maxIdle());
        JobStats stats = runner.stats();
        boolean prepared = false;
        while (running) {
            int work;
            try {
                if (!prepared) {
                    preparation.prepare();
                    prepared = true;
                }
                work = runner.doWork();
            } catch (Exception | Error e) {
                // An Error as well: a runner thread that died would leave this node's jobs to the others for good.
                stats.loopErrors.incrementAndGet();
                stats.lastError = e.getClass().getSimpleName() + ": " + e.getMessage();
                log.warn("job runner {}: {}; trying again", runner.name(), stats.lastError);
                work = 0;
            }
            idle.idle(work);
        }
    }

    /** Whether the loop is alive, or was stopped on purpose. */
    public boolean healthy() {
        return thread.isAlive() || !running;
    }

    /**
     * Asks the loop to stop and waits up to {@code grace} for the job in hand to finish. A job
     * still running then is abandoned: its lease runs out and another runner takes it.
     */
    public boolean stop(Duration grace) throws InterruptedException {
        running = false;
        thread.join(Math.max(1, grace.toMillis()));
        boolean stopped = !thread.isAlive();
        if (!stopped) {
            log.warn("job runner {} still running {} after {}; its lease will expire and another runner retake it",
                    runner.name(), runner.stats().currentJob, grace);
        }
        runner.close();
        return stopped;
    }

    @Override
    public void close() throws InterruptedException {
        stop(Duration.ofSeconds(5));
    }
}
