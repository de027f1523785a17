package io.trackedge.sink;

import java.util.concurrent.locks.LockSupport;

/** The one thread a sink runs on, and the cheap wake-up the journal appender sends it after each write. */
public final class SinkThread {

    private volatile Thread thread;

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
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** The running thread, or null before {@link #start}. */
    public Thread thread() {
        return thread;
    }
}
