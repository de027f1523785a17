package io.trackedge.sink;

import io.trackedge.journal.EventRecord;
import java.util.List;

/**
 * Consecutive journal records {@code [start, end)}: {@code events.get(i)} was read at
 * {@code positions[i]}, and the record after it starts at {@link #next(int)}. Immutable once made;
 * {@link #slice} shares the arrays.
 */
public record Batch(long start, long end, List<EventRecord> events, long[] positions, int from, int to) {

    public Batch {
        if (from < 0 || to < from || to > events.size() || to > positions.length) {
            throw new IllegalArgumentException("slice [" + from + ", " + to + ") of " + events.size() + " events");
        }
    }

    /** A whole batch read from the journal. */
    public static Batch of(long start, long end, List<EventRecord> events, long[] positions) {
        return new Batch(start, end, events, positions, 0, events.size());
    }

    public int size() {
        return to - from;
    }

    public boolean isEmpty() {
        return to == from;
    }

    /** The i-th event of this batch (0-based). */
    public EventRecord event(int i) {
        return events.get(from + i);
    }

    /** Journal position of the i-th event. */
    public long position(int i) {
        return positions[from + i];
    }

    /** Journal position just past the i-th event. */
    public long next(int i) {
        return i + 1 < size() ? positions[from + i + 1] : end;
    }

    /** When the edge took in the batch's first decodable event (epoch micros), or 0 when it holds none. */
    long firstReceivedAtMicros() {
        for (int i = from; i < to; i++) {
            EventRecord e = events.get(i);
            if (e != null) {
                return e.receivedAtMicros();
            }
        }
        return 0;
    }

    /** The events of this batch, in journal order. */
    public List<EventRecord> list() {
        return events.subList(from, to);
    }

    /**
     * The events of this batch that {@code keep} accepts, in order, as a batch with the same start
     * and end: committing it moves a cursor past the events left out too. A sink that holds only
     * some tenants (one of several PostgreSQL clusters) writes this.
     */
    public Batch only(Keep keep) {
        int first = 0;
        while (first < size() && keep.test(position(first), event(first))) {
            first++;
        }
        if (first == size()) {
            return this; // one cluster, or a batch of this cluster's tenants only: nothing copied
        }
        List<EventRecord> kept = new java.util.ArrayList<>(events.subList(from, from + first));
        long[] at = new long[size()];
        System.arraycopy(positions, from, at, 0, first);
        for (int i = first + 1; i < size(); i++) {
            EventRecord e = event(i);
            if (keep.test(position(i), e)) {
                at[kept.size()] = position(i);
                kept.add(e);
            }
        }
        return new Batch(start, end, kept, at, 0, kept.size());
    }

    /** Which events {@link #only} keeps: by the event, and by the journal position it was written at. */
    @FunctionalInterface
    public interface Keep {
        boolean test(long position, EventRecord event);
    }

    /**
     * The damaged bytes the reader skipped between this batch's start and its first record, as an empty
     * batch of their own (committing it moves a cursor past them), or null when the first record is
     * where the batch starts. A batch read from a cursor that stood just before damage starts so.
     */
    public Batch skippedBefore() {
        return isEmpty() || start >= positions[from] ? null : new Batch(start, positions[from], events, positions, from, from);
    }

    /**
     * Events {@code [a, b)} of this batch as a batch of their own, from the {@code a}-th event's position
     * (not this batch's start: see {@link #skippedBefore}) to the next event's, or this batch's end.
     */
    public Batch slice(int a, int b) {
        if (a < 0 || b > size() || b < a) {
            throw new IllegalArgumentException("slice [" + a + ", " + b + ") of a batch of " + size());
        }
        long s = a == size() ? end : positions[from + a];
        long e = b == size() ? end : positions[from + b];
        return new Batch(s, e, events, positions, from + a, from + b);
    }
}
