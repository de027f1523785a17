package io.trackedge.sink;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * A sink's state as readiness and metrics report it: running, retrying or stalled, since when,
 * and the last error. Written by the loop's thread, read from any thread.
 *
 * <p>"Since" moves only when the state changes, so a sink that has failed for ten minutes says
 * so however often it retried. A sink is stalled when it has not committed for longer than
 * {@code stallAfter} while events wait for it; that is computed on every read, so a loop blocked
 * in a slow write is still reported.
 */
public final class SinkHealth {

    /** What the sink is doing. */
    public enum State {
        /** Not connected yet. */
        STARTING,
        /** Writing, or caught up. */
        RUNNING,
        /** The last attempt failed; the loop waits and tries again. */
        RETRYING,
        /** Nothing committed for longer than the stall time while events wait. */
        STALLED,
        /** The loop has ended. */
        STOPPED;

        public String label() {
            return name().toLowerCase();
        }
    }

    private final Duration stallAfter;
    private final LongSupplier clockMillis;
    private final BooleanSupplier eventsWaiting;
    private volatile State state = State.STARTING;
    private volatile long sinceMillis;
    private volatile long lastProgressMillis;
    private volatile String lastError = "";
    private volatile boolean stallCounted;
    private final AtomicLong stalls = new AtomicLong();

    /**
     * @param eventsWaiting true while the journal holds events past the sink's committed cursor
     */
    public SinkHealth(Duration stallAfter, LongSupplier clockMillis, BooleanSupplier eventsWaiting) {
        this.stallAfter = stallAfter;
        this.clockMillis = clockMillis;
        this.eventsWaiting = eventsWaiting;
        long now = clockMillis.getAsLong();
        this.sinceMillis = now;
        this.lastProgressMillis = now;
    }

    /** A batch committed: the sink is running. */
    void progressed() {
        long now = clockMillis.getAsLong();
        lastProgressMillis = now;
        stallCounted = false;
        if (state != State.RUNNING) {
            state = State.RUNNING;
            sinceMillis = now;
            lastError = "";
        }
    }

    /**
     * Nothing left to write: the sink is running. Connecting alone does not count (a sink that
     * connects and then fails on the same events again is still retrying, since the first failure).
     */
    void caughtUp() {
        progressed();
    }

    /** An attempt failed; the loop will retry. */
    void failed(String error) {
        lastError = error;
        if (state != State.RETRYING) {
            state = State.RETRYING;
            sinceMillis = clockMillis.getAsLong();
        }
    }

    void stopped() {
        state = State.STOPPED;
        sinceMillis = clockMillis.getAsLong();
    }

    /** The state now, stalled included. Counts a stall the first time it is seen. */
    public State state() {
        State s = state;
        if ((s == State.RUNNING || s == State.RETRYING) && stalledNow()) {
            if (!stallCounted) {
                stallCounted = true;
                stalls.incrementAndGet();
            }
            return State.STALLED;
        }
        return s;
    }

    private boolean stalledNow() {
        return clockMillis.getAsLong() - lastProgressMillis > stallAfter.toMillis() && eventsWaiting.getAsBoolean();
    }

    /** When the current state began (for stalled: when the stall time ran out). */
    public Instant since() {
        State s = state();
        if (s == State.STALLED) {
            return Instant.ofEpochMilli(lastProgressMillis + stallAfter.toMillis());
        }
        return Instant.ofEpochMilli(sinceMillis);
    }

    /** When a batch last committed (or the sink connected), for "no commit since". */
    public Instant lastProgress() {
        return Instant.ofEpochMilli(lastProgressMillis);
    }

    public String lastError() {
        return lastError;
    }

    /** Times the sink was seen stalled. */
    public long stalls() {
        state();
        return stalls.get();
    }

    public boolean up() {
        return state() == State.RUNNING;
    }

    public Duration stallAfter() {
        return stallAfter;
    }
}
