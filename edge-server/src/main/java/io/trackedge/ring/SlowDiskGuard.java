package io.trackedge.ring;

import java.util.concurrent.TimeUnit;

/**
 * Takes the journal's writes off the event loops while the disk is slow (wait strategy {@code inline}).
 *
 * <p>A write into the page cache takes microseconds. When the disk or the file system blocks writes
 * (a throttled cloud volume, writeback congestion, a stalled network disk), the loop that writes
 * holds every connection it serves for as long, {@code ack=memory} answers included, which by their
 * contract never wait for the disk. Two loop turns in a row that take {@link #SLOW_NANOS} or more
 * mean that: the turns then go to the {@code journal-appender} thread, and the loops only publish,
 * as under {@code batched}. One slow turn is not enough, since a young GC pause or a preempted
 * thread makes a turn that slow now and then on a busy machine.
 *
 * <p>The loops get the turns back when the pause is over ({@link #FIRST_PAUSE} the first time), and
 * not before the appender thread's last write was fast again: while the disk stays slow, that
 * thread is the one that finds out, and no loop waits on the disk to learn it (an edge that goes
 * idle in a pause stays paused until its next write). If a loop's turn is slow again within one
 * pause's length after the loops got the turns back, one slow turn is enough, and the next pause is
 * twice the last, up to {@link #MAX_PAUSE}: a disk that is slow now and then costs a loop one turn a
 * pause.
 *
 * <p>{@link #turnTook} is called only by the thread holding the journal's turn, so the state it keeps
 * needs no lock; {@link #threadTurnTook} and {@link #tick} only by the appender thread;
 * {@link #loopsMayWrite} by any.
 */
final class SlowDiskGuard {

    /** A loop turn this long or longer counts as slow: far above a page-cache write, a few times a busy machine's preemption. */
    static final long SLOW_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    /** Slow turns in a row that take the turns off the loops. */
    static final int SLOW_IN_A_ROW = 2;
    static final long FIRST_PAUSE = TimeUnit.SECONDS.toNanos(1);
    static final long MAX_PAUSE = TimeUnit.SECONDS.toNanos(64);

    private volatile boolean paused;
    /** When the current or last pause may end; written before {@link #paused} is set. */
    private volatile long until;
    /** When the loops last got the writes back; written by the appender thread before {@link #paused} is cleared. */
    private volatile long resumedAt;
    private long pause;
    private boolean everPaused;
    private int slowInARow;
    /** The appender thread's last write took {@link #SLOW_NANOS} or more. Its own field. */
    private boolean threadSlow;
    private volatile long pauses;

    /** False while the turns are the appender thread's. */
    boolean loopsMayWrite() {
        return !paused;
    }

    /**
     * A loop's turn took {@code nanos} and ended at {@code now} ({@link System#nanoTime}). Holder of
     * the turn only.
     *
     * @return true when this turn took the turns off the loops ({@link #pauseNanos} says for how long)
     */
    boolean turnTook(long nanos, long now) {
        if (paused) {
            return false; // a loop that looked just before the turns were taken off
        }
        if (nanos < SLOW_NANOS) {
            slowInARow = 0;
            return false;
        }
        slowInARow++;
        boolean onProbation = everPaused && now - resumedAt < pause;
        if (slowInARow < SLOW_IN_A_ROW && !onProbation) {
            return false;
        }
        pause = onProbation ? Math.min(pause * 2, MAX_PAUSE) : FIRST_PAUSE;
        until = now + pause;
        everPaused = true;
        slowInARow = 0;
        pauses++;
        paused = true;
        return true;
    }

    /** The appender thread wrote a batch in {@code nanos}. */
    void threadTurnTook(long nanos) {
        threadSlow = nanos >= SLOW_NANOS;
    }

    /**
     * The appender thread, on each wake: gives the loops their turns back once the pause is over and
     * its own last write was fast.
     */
    void tick(long now) {
        if (paused && now - until >= 0 && !threadSlow) {
            resumedAt = now;
            paused = false;
        }
    }

    /** The current or last pause, in nanoseconds (0 before the first). */
    long pauseNanos() {
        return pause;
    }

    /** Times the turns were taken off the loops. */
    long pauses() {
        return pauses;
    }
}
