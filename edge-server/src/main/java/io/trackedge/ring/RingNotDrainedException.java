package io.trackedge.ring;

/**
 * A stop's drain of the ring did not end within its budget, and the appender was halted. Either the
 * ring did not drain: the events still in it are not written, and lost; or it drained ({@link #drained}),
 * but the appender was still in a use of the journal writer (a late batch's write, a segment roll) when
 * the stop came to take the writer from it. {@link #journalLetGo()} says whether the journal may now be
 * closed.
 */
public final class RingNotDrainedException extends Exception {

    private final boolean drained;
    private final long unhandled;
    private final boolean journalLetGo;

    RingNotDrainedException(boolean drained, long budgetMillis, long unhandled, boolean journalLetGo, long letGoMillis) {
        super(message(drained, budgetMillis, unhandled, journalLetGo, letGoMillis));
        this.drained = drained;
        this.unhandled = unhandled;
        this.journalLetGo = journalLetGo;
    }

    // An operator reads this in the stop's log: "lost" only for what was lost, so a drained ring does not say so.
    private static String message(boolean drained, long budgetMillis, long unhandled, boolean journalLetGo, long letGoMillis) {
        if (!drained) {
            return "the ring did not drain within its " + budgetMillis + " ms (the last " + letGoMillis
                    + " ms of them kept for the halt); its appender was halted with " + unhandled
                    + " events claimed or published and not handled, which are lost"
                    + (journalLetGo ? "" : ", and was still in a journal write " + letGoMillis
                            + " ms later: the journal is left open, not closed nor synced");
        }
        return "the ring drained (every event published before the stop was handled), but its appender was still in a"
                + " use of the journal writer (a late batch's write, or a segment roll) when the drain's part of its "
                + budgetMillis + " ms ran out; it was halted with "
                + (unhandled <= 0 ? "no event left to handle"
                        : unhandled + " events published after the drain not handled, which are not written unless that"
                                + " write holds them")
                + (journalLetGo ? ", and let go of the writer within the " + letGoMillis + " ms kept for the halt:"
                        + " the journal can be closed"
                        : ", and was still in that use " + letGoMillis + " ms later: the journal is left open, not closed"
                                + " nor synced");
    }

    /**
     * True when every event published before the stop was handled, and only the appender's let-go of
     * the journal writer ran late.
     */
    public boolean drained() {
        return drained;
    }

    /**
     * Events claimed or published and not handled when the appender was halted: once {@link #drained},
     * only events published after the drain.
     */
    public long unhandled() {
        return unhandled;
    }

    /**
     * True when the halted appender returned from its last journal write: the journal is the
     * caller's to close. False when it was still writing: closing the journal would put a second
     * thread in its writer.
     */
    public boolean journalLetGo() {
        return journalLetGo;
    }
}
