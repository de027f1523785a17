package io.trackedge.ring;

import io.trackedge.journal.MutableEvent;

/**
 * A ring slot: the event being handed to the journal, plus who to tell when it is there. Slots are
 * allocated once, when the ring is built, and reused.
 */
public final class RingEvent extends MutableEvent {

    private AckListener listener;

    /** The listener to notify once this event is journaled, or null under {@code memory} acknowledgements. */
    public AckListener listener() {
        return listener;
    }

    public void listener(AckListener listener) {
        this.listener = listener;
    }
}
