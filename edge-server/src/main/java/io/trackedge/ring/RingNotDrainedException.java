package io.trackedge.ring;

/**
 * The ring did not drain within a stop's budget, and its appender was halted: the events still in
 * the ring are not written. {@link #journalLetGo()} says whether the journal may now be closed.
 */
public final class RingNotDrainedException extends Exception {

    private final long unhandled;
    private final boolean journalLetGo;

    RingNotDrainedException(long budgetMillis, long unhandled, boolean journalLetGo, long letGoMillis) {
        super("the ring did not drain within its " + budgetMillis + " ms (the last " + letGoMillis
                + " ms of them kept for the halt); its appender was halted with " + unhandled
                + " events claimed or published and not handled, which are lost"
                + (journalLetGo ? "" : ", and was still in a journal write " + letGoMillis
                        + " ms later: the journal is left open, not closed nor synced"));
        this.unhandled = unhandled;
        this.journalLetGo = journalLetGo;
    }

    /** Events claimed or published and not handled when the appender was halted. */
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
