package io.trackedge.ingest;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The reloads of the keys for requests that carry a well-formed key the cache does not hold (made a
 * moment ago, or the first load still running), each request waiting for its reload at most {@link
 * #MISS_WAIT}, after which it is told to retry (503 with Retry-After, {@link IngestKeyCache#RELOAD_TOO_SLOW}).
 *
 * <p>A request gets a reload that starts after it arrived: requests join the reload not yet started;
 * one starts at most every {@link #MISS_RELOAD_EVERY} (random keys cannot turn into a query each), so a
 * request waits for it up to that long. A reload already running may have read the table before the key
 * was made: it is not joined.
 *
 * <p>Threads: {@link #reload} and {@link #close} from any thread (event loops included: neither blocks);
 * the reloads run on the keys' thread of the {@link KeyReloadScheduler}; a waiter is answered there, or
 * on the JDK's shared delay thread at its {@link #MISS_WAIT}, or on the thread that closes.
 */
final class UnknownKeyReloads implements AutoCloseable {

    /**
     * How long a request with an unknown key waits for its reload: the keys' thread may be stuck on a
     * slow database, and a client waiting without limit holds its connection (and, on ingest, its body).
     */
    static final Duration MISS_WAIT = Duration.ofSeconds(2);
    /** Reloads for unknown keys are at most this frequent: random keys cannot turn into a query each. */
    static final Duration MISS_RELOAD_EVERY = Duration.ofSeconds(1);

    private final KeyReloadScheduler scheduler;
    private final Runnable refresh;
    private final Object missLock = new Object();
    /** The reload for unknown keys not yet started, which a request may join; guarded by missLock. */
    private MissReload nextMissReload;
    /** When the last reload for unknown keys started; guarded by missLock. */
    private long lastMissReloadNanos = System.nanoTime() - MISS_RELOAD_EVERY.toNanos();
    private boolean closed;

    /** @param refresh reads the keys once, on the scheduler's keys' thread; must not throw */
    UnknownKeyReloads(KeyReloadScheduler scheduler, Runnable refresh) {
        this.scheduler = scheduler;
        this.refresh = refresh;
    }

    /**
     * A reload of the keys that starts after this call, off the caller's thread.
     *
     * @return completes with true when that reload is done (then authenticate again), with false when
     *     it is not done within {@link #MISS_WAIT} (the keys' thread busy on a slow database) or the
     *     cache closed first: answer "retry"; null when closed already
     */
    CompletableFuture<Boolean> reload() {
        synchronized (missLock) {
            if (closed) {
                return null;
            }
            if (nextMissReload == null) {
                long delayNanos = Math.max(0, lastMissReloadNanos + MISS_RELOAD_EVERY.toNanos() - System.nanoTime());
                MissReload next = new MissReload();
                try {
                    scheduler.later(() -> missReload(next), delayNanos);
                } catch (RejectedExecutionException e) { // closed: no reload
                    return null;
                }
                nextMissReload = next;
            }
            return nextMissReload.join();
        }
    }

    private void missReload(MissReload reload) {
        synchronized (missLock) {
            nextMissReload = null; // a request from here on needs the reload after this one
            lastMissReloadNanos = System.nanoTime();
        }
        try {
            refresh.run();
        } finally {
            reload.finish(!closed()); // closed under it, the reload was cut short: the key is unchecked, "retry"
        }
    }

    private boolean closed() {
        synchronized (missLock) {
            return closed;
        }
    }

    /** Requests waiting for a reload for unknown keys now (for tests: none is kept past its answer). */
    int waiters() {
        synchronized (missLock) {
            return nextMissReload == null ? 0 : nextMissReload.waiters.size();
        }
    }

    /**
     * Whether a request with an unknown key would have its reload start at once: none is waiting to
     * start and none began in the last {@link #MISS_RELOAD_EVERY}.
     */
    boolean reloadsOnNextMiss() {
        synchronized (missLock) {
            return nextMissReload == null && System.nanoTime() - lastMissReloadNanos >= MISS_RELOAD_EVERY.toNanos();
        }
    }

    /**
     * Takes no more requests and answers those waiting for a reload not started: "retry"; those of a reload
     * running now get "retry" when it ends. Call it once the scheduler is stopped: a reload that stopping
     * dropped never runs, and its waiters are answered now, not at their {@link #MISS_WAIT}.
     */
    @Override
    public void close() {
        MissReload pending;
        synchronized (missLock) {
            closed = true;
            pending = nextMissReload;
            nextMissReload = null;
        }
        if (pending != null) {
            pending.finish(false);
        }
    }

    /**
     * One reload for unknown keys and the requests waiting for it. A waiter leaves the set when it is
     * answered, by the reload or by its {@link #MISS_WAIT} (timed by the JDK's shared delay thread, so
     * the cache needs no thread of its own that a stuck reload could hold up): while the keys' thread
     * is stuck, the set holds the requests of the last {@link #MISS_WAIT}, not every one since.
     */
    private static final class MissReload {
        final Set<CompletableFuture<Boolean>> waiters = ConcurrentHashMap.newKeySet();
        private volatile Boolean outcome;

        CompletableFuture<Boolean> join() {
            CompletableFuture<Boolean> w = new CompletableFuture<>();
            waiters.add(w);
            w.whenComplete((r, e) -> waiters.remove(w));
            w.completeOnTimeout(false, MISS_WAIT.toNanos(), TimeUnit.NANOSECONDS);
            Boolean o = outcome;
            if (o != null) { // finished while this one joined: it may not have seen it
                w.complete(o);
            }
            return w;
        }

        void finish(boolean reloaded) {
            outcome = reloaded;
            for (CompletableFuture<Boolean> w : waiters) {
                w.complete(reloaded);
            }
        }
    }
}
