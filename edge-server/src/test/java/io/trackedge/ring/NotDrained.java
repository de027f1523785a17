package io.trackedge.ring;

/**
 * A {@link RingNotDrainedException} of either kind, for tests outside this package of what a stop does
 * with it: its constructor is the ring's own, and a real drained ring whose appender lets go of the writer
 * only within the halt's part of the budget cannot be staged without a race.
 */
public final class NotDrained {

    private NotDrained() {
    }

    /** As a 400 ms drain would throw it, with {@code unhandled} events left (once drained: published after the drain). */
    public static RingNotDrainedException of(boolean drained, long unhandled, boolean journalLetGo) {
        return new RingNotDrainedException(drained, 400, unhandled, journalLetGo, 100);
    }
}
