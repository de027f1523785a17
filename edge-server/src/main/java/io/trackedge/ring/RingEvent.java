package io.trackedge.ring;

import io.trackedge.journal.MutableEvent;

/**
 * A ring slot: the event being handed to the journal, plus who to tell when it is there. Slots are
 * allocated once, when the ring is built, and reused. The listener is named by its number in the
 * appender's {@link AckListeners}, not held: see there why.
 */
public final class RingEvent extends MutableEvent {

    private int listener = AckListeners.NONE;

    /** The number of the listener to notify once this event is journaled, or {@link AckListeners#NONE}. */
    public int listener() {
        return listener;
    }

    /** @param listener a number from the appender's {@link AckListeners}, or {@link AckListeners#NONE} */
    public void listener(int listener) {
        this.listener = listener;
    }
}
