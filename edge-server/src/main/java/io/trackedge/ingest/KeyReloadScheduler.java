package io.trackedge.ingest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When the key cache reads its keys, and on which thread: the migrations first, on a thread of their own
 * ({@code ingest-keys-migrations}) and again until they succeed once, then the periodic reload on the
 * keys' thread ({@code ingest-keys}), which also runs the reloads {@link #later} is given (those for
 * unknown keys). A migration waiting for its lock (up to a minute) thus delays no reload.
 *
 * <p>The periodic reload starts when the migrations' first try ends (a fresh database has no {@code
 * ingest_keys} before it), or {@link #SCHEMA_GRACE} after {@link #start} when that try waits for a lock.
 * Migrations that failed are tried again every refresh interval until the keys loaded, then every
 * {@link #SCHEMA_RETRY_EVERY}; once they ran, the keys are read at once.
 *
 * <p>Stopping: {@link #stop}, then {@link #awaitStopped}, which waits for both threads, having the
 * server cancel the keys' statement meanwhile (an interrupt does not end a JDBC call waiting on the
 * server), at most {@link #STOP_WAIT}.
 *
 * <p>Threads: every method from any thread; the reload and the migrations given to the constructor run
 * on the two threads above, one call at a time each.
 */
final class KeyReloadScheduler {

    /** The cache's log: what it says is the cache's state, under the name operators (and FreshDatabaseStartIT) watch. */
    private static final Logger log = LoggerFactory.getLogger(IngestKeyCache.class);

    /** Migrations that failed are tried again this often once the keys loaded (every refresh interval before). */
    static final Duration SCHEMA_RETRY_EVERY = Duration.ofMinutes(5);
    /**
     * The periodic reload starts when the migrations' first try ends (a fresh database has no {@code
     * ingest_keys} before it), or this long after {@link #start} when that try waits for a lock.
     */
    static final Duration SCHEMA_GRACE = Duration.ofSeconds(10);
    /**
     * How long {@link #awaitStopped} waits for the threads: a cancelled statement ends in a round trip to
     * the server, and a migration waiting for a lock within its 2 s lock timeout ({@code
     * Database.MIGRATION_LOCKS}); the edge's stop waits this long at most for them.
     */
    static final Duration STOP_WAIT = Duration.ofSeconds(5);
    /** How often a cancel is sent again while the keys' thread runs: one sent before the statement is lost. */
    private static final Duration CANCEL_AGAIN = Duration.ofMillis(50);

    private final Runnable reload;
    private final BooleanSupplier loaded;
    private final Duration interval;
    private final Runnable schema;
    /** The statement the reload runs, which stopping has cancelled. */
    private final RunningQuery keysQuery;
    /** The migrations ran once; written on the migrations' thread. */
    private volatile boolean schemaReady;
    /** The last try of the migrations failed (said once, at WARN, until they run); the migrations' thread's. */
    private boolean schemaFailing;
    /** The keys' thread: the periodic reload and the reloads for unknown keys. */
    private final ScheduledExecutorService timer;
    /** The migrations' thread, so that a migration waiting for its lock (up to a minute) delays no reload. */
    private final ScheduledExecutorService migrations;
    /** The periodic reload was scheduled. */
    private final AtomicBoolean reloading = new AtomicBoolean();

    /**
     * @param reload reads the keys once; must not throw (a throw would end the periodic reload)
     * @param loaded whether the keys were loaded once (the migrations' retry interval depends on it)
     * @param interval between periodic reloads
     * @param schema the migrations, or null when the schema is someone else's business (then the periodic
     *     reload starts at once)
     * @param keysQuery where {@code reload} shows the statement it runs
     */
    KeyReloadScheduler(Runnable reload, BooleanSupplier loaded, Duration interval, Runnable schema, RunningQuery keysQuery) {
        this.reload = reload;
        this.loaded = loaded;
        this.interval = interval;
        this.schema = schema;
        this.keysQuery = keysQuery;
        this.timer = singleThread("ingest-keys");
        this.migrations = singleThread("ingest-keys-migrations");
    }

    private static ScheduledExecutorService singleThread(String name) {
        return Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts the migrations, or the periodic reload at once when there are none to run. */
    void start() {
        if (schema == null) {
            startReloads();
            return;
        }
        migrations.execute(this::migrate);
        timer.schedule(this::startReloads, SCHEMA_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Whether migrations were given and have not run yet (a failed read of the keys is then expected). */
    boolean migrationsPending() {
        return schema != null && !schemaReady;
    }

    /**
     * Runs {@code task} on the keys' thread after {@code delayNanos}.
     *
     * @throws RejectedExecutionException when closed
     */
    void later(Runnable task, long delayNanos) {
        timer.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
    }

    /** Schedules the periodic reload, the first at once; false when it was already (or the cache is closed). */
    private boolean startReloads() {
        if (!reloading.compareAndSet(false, true)) {
            return false;
        }
        try {
            timer.scheduleWithFixedDelay(reload, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (RejectedExecutionException e) { // closed
            return false;
        }
    }

    /**
     * Applies the pending migrations, on their own thread; a failure (say, a migration that cannot have
     * its lock while a long reader holds a table) is said at WARN and tried again later, and does not
     * keep the keys from loading where {@code ingest_keys} exists already. Once they ran, the keys are
     * read at once: on a fresh database the table did not exist until now.
     */
    private void migrate() {
        try {
            schema.run();
        } catch (Throwable e) { // an Error too: on this thread it would end the migrations unsaid
            if (migrations.isShutdown()) {
                return; // closed under it (interrupted): nothing failed
            }
            if (!schemaFailing) {
                log.warn("migrations failed (tried again every {} once the ingest keys loaded, every {} before); loading "
                        + "the keys as the schema stands: {}", SCHEMA_RETRY_EVERY, interval, e.getMessage(), e);
            }
            schemaFailing = true;
            startReloads();
            try {
                migrations.schedule(this::migrate, (loaded.getAsBoolean() ? SCHEMA_RETRY_EVERY : interval).toMillis(),
                        TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closed) { // no retry after close
            }
            return;
        }
        schemaReady = true;
        if (schemaFailing) {
            log.info("migrations applied; ingest keys go on loading");
        }
        schemaFailing = false;
        if (!startReloads()) {
            try {
                timer.execute(reload);
            } catch (RejectedExecutionException closed) { // nothing to load for
            }
        }
    }

    /**
     * Stops both threads, interrupting a reload or a migration under way; no task runs from now (those
     * given later are refused), and the statement of a reload under way is cancelled. Returns at once.
     */
    void stop() {
        timer.shutdownNow();
        migrations.shutdownNow();
        keysQuery.cancel();
    }

    /**
     * After {@link #stop}: waits for both threads to end, and for the cancel of the keys' statement, at
     * most {@link #STOP_WAIT}, sending the cancel again every {@link #CANCEL_AGAIN} while the keys' thread
     * runs. When a thread is still running then (a statement whose cancel the server did not answer, a
     * migration past its lock wait or waiting for another's), says so once at WARN and returns: that thread
     * starts nothing more, and a reload's statement ends when it fails (at the latest when its pool
     * closes, which aborts the connections in use).
     *
     * @param byNanos a {@link System#nanoTime} by which to return even when that is sooner (a stop's grace)
     */
    void awaitStopped(long byNanos) {
        long started = System.nanoTime();
        long deadline = started + STOP_WAIT.toNanos();
        if (byNanos - deadline < 0) {
            deadline = byNanos;
        }
        try {
            while (!timer.awaitTermination(Math.min(CANCEL_AGAIN.toNanos(), Math.max(0, deadline - System.nanoTime())),
                    TimeUnit.NANOSECONDS) && System.nanoTime() - deadline < 0) {
                keysQuery.cancel();
            }
            migrations.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            keysQuery.awaitCancel(deadline);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the stop goes on; what is still running is said below
        }
        List<String> running = new ArrayList<>();
        if (!timer.isTerminated()) {
            running.add("ingest-keys (a reload of the keys)");
        }
        if (!migrations.isTerminated()) {
            running.add("ingest-keys-migrations (the migrations)");
        }
        if (!running.isEmpty()) {
            log.warn("the ingest key cache closed with its threads still running {} after it stopped them: {}; they start "
                    + "nothing more, and a reload's statement ends when it fails (at the latest when its pool closes)",
                    Duration.ofNanos(Math.max(0, deadline - started)),
                    String.join(", ", running));
        }
    }
}
