package io.trackedge.sink;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * The journal positions the sinks have committed, so that the journal deletes a segment only once
 * every sink has passed it: each commit releases up to the lowest committed position of all.
 *
 * <p>Register every sink before any of them starts: a registered sink that has not reported a
 * position yet holds back every release. Thread-safe; positions only move forward.
 */
public final class SinkCursors {

    private record Slot(String name, AtomicLong position) {
    }

    private final LongConsumer release;
    private final List<Slot> slots = new CopyOnWriteArrayList<>();

    /** @param release told the lowest committed position, e.g. {@code journal::releaseBefore} */
    public SinkCursors(LongConsumer release) {
        this.release = release;
    }

    /** Adds a sink; the returned consumer is its {@code onCommitted}. */
    public LongConsumer register(String name) {
        Slot s = new Slot(name, new AtomicLong(-1));
        slots.add(s);
        return position -> {
            s.position.accumulateAndGet(position, Math::max);
            long min = min();
            if (min >= 0) {
                release.accept(min);
            }
        };
    }

    /** The lowest committed position; -1 while a sink has not reported or none is registered. */
    public long min() {
        if (slots.isEmpty()) {
            return -1;
        }
        long min = Long.MAX_VALUE;
        for (Slot s : slots) {
            min = Math.min(min, s.position.get());
        }
        return min;
    }

    /**
     * The lowest committed position of the sinks other than {@code name}; -1 while one of them has
     * not reported, or when there is no other.
     */
    public long minExcept(String name) {
        long min = Long.MAX_VALUE;
        for (Slot s : slots) {
            if (!s.name.equals(name)) {
                min = Math.min(min, s.position.get());
            }
        }
        return min == Long.MAX_VALUE ? -1 : min;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("SinkCursors[");
        for (Slot s : slots) {
            sb.append(s.name).append('=').append(s.position.get()).append(' ');
        }
        return sb.append("]").toString();
    }
}
