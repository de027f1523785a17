package io.trackedge.sink;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The one thread a sink runs on, and the cheap wake-up the journal appender sends it after each
 * write. Only a sink that waits for new events ({@link #awaitEvents}) is woken: one that is
 * lingering over a partial batch or backing off is left alone, which spares the appender an
 * {@code unpark} per write and the sink a loop per wake-up.
 */
public final class SinkThread {

    private static final long RECHECK_NANOS = TimeUnit.MICROSECONDS.toNanos(100);

    private volatile Thread thread;
    private volatile boolean awaiting;

    /** Starts {@code body} on a daemon thread named {@code name}. */
    public Thread start(Runnable body, String name) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        thread = t;
        t.start();
        return t;
    }

    /** New events are in the journal. Callable from any thread; does nothing before {@link #start}. */
    public void wakeUp() {
        if (awaiting) {
            Thread t = thread;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }

    /**
     * Called by the sink's thread when it has read everything: parks until {@link #wakeUp} or
     * {@code maxNanos}. {@code journalHasMore} is checked after the flag is up (the appender
     * publishes its position before it reads the flag), so a write just before the park is not
     * slept through; when it says there is more, the park is only a short pause.
     */
    public void awaitEvents(long maxNanos, BooleanSupplier journalHasMore) {
        awaiting = true;
        try {
            LockSupport.parkNanos(journalHasMore.getAsBoolean() ? Math.min(maxNanos, RECHECK_NANOS) : maxNanos);
        } finally {
            awaiting = false;
        }
    }

    /** The running thread, or null before {@link #start}. */
    public Thread thread() {
        return thread;
    }
}
