package io.trackedge.ring;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The appender's hold on the journal writer, which a stop can take away. The appender passes the
 * gate around each use of the writer ({@link #enter} then {@link #exit}); {@link #shut} keeps it
 * from entering again and waits until its current use has returned, after which the stop may use
 * the writer itself (close it) without a second thread in it.
 *
 * <p>Why: a stop whose ring drain ran past its budget closed the journal while the appender was
 * still writing to it, two threads in a single-threaded writer.
 *
 * <p>Thread-safe. Uncontended, a pass costs one lock and one unlock.
 */
final class WriterGate {

    private final ReentrantLock lock = new ReentrantLock();
    /** Set before the lock is tried, so that a use still running when {@link #shut} gives up is the last. */
    private volatile boolean shut;

    /**
     * Enters, unless the gate is shut.
     *
     * @return true when the caller may use the writer and must then call {@link #exit}; false once shut
     */
    boolean enter() {
        lock.lock();
        if (shut) {
            lock.unlock();
            return false;
        }
        return true;
    }

    /** Leaves after a successful {@link #enter}. */
    void exit() {
        lock.unlock();
    }

    /**
     * Shuts the gate and waits up to {@code timeout} for the use in progress to return; then runs
     * {@code lastUse} as the writer's last user, before anyone else may have it.
     *
     * @return true when the writer is let go (no use runs, none will); false when a use was still
     *     running at the timeout: it is the last, but the writer is not the caller's to touch
     */
    boolean shut(long timeout, TimeUnit unit, Runnable lastUse) throws InterruptedException {
        shut = true;
        if (!lock.tryLock(timeout, unit)) {
            return false;
        }
        try {
            lastUse.run();
        } finally {
            lock.unlock();
        }
        return true;
    }
}
