package io.trackedge.ring;

import java.util.Arrays;

/**
 * The ring's acknowledgement listeners, each under a number that a slot stores instead of a
 * reference ({@link RingEvent#listener(int)}).
 *
 * <p>Why a number: the slots are allocated once and live in the old generation, and the
 * parallel collector's write barrier marks a card for every reference stored into an old object,
 * whatever it points to. Each event storing its listener marked one card of the ring, and every
 * young collection scanned the cards of the slots used since the last one: all 65,536 of them at
 * high rates. An int store marks nothing. Measured: median young pause at 55,000 pixels a second,
 * 7.1 ms with references, 0.8 ms without (docs/benchmarks.md, "The ring's slots and young pauses").
 *
 * <p>Listeners are added once per event loop and never removed; {@link #add} may run on any
 * thread, {@link #get} runs on the appender, which sees an added listener through the ring's
 * publication of the first event that names it.
 */
public final class AckListeners {

    /** The number of "no listener": nobody waits for this event (acknowledgements from memory). */
    public static final int NONE = -1;

    private volatile AckListener[] all = new AckListener[0];

    /** Adds {@code listener} and returns its number, which slots may name from now on. */
    public synchronized int add(AckListener listener) {
        AckListener[] next = Arrays.copyOf(all, all.length + 1);
        next[all.length] = listener;
        all = next;
        return all.length - 1;
    }

    /** The listener numbered {@code number} by {@link #add}. */
    AckListener get(int number) {
        return all[number];
    }

    /** How many listeners have been added. */
    public int size() {
        return all.length;
    }
}
