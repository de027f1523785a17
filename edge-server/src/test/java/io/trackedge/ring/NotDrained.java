package io.trackedge.ring;

/**
 * A {@link RingNotDrainedException} of either kind, for tests outside this package of what a stop does
 * with it: its constructor is the ring's own, and a real drained ring whose appender lets go of the writer
 * only within the halt's part of the budget cannot be staged without a race.
 */
public final class NotDrained {

    private NotDrained() {
    }

    /** As a 400 ms drain would throw it, with one event left when not {@code drained}, none when it was. */
    public static RingNotDrainedException of(boolean drained, boolean journalLetGo) {
        return new RingNotDrainedException(drained, 400, drained ? 0 : 1, journalLetGo, 100);
    }
}
