package io.trackedge.sink.testing;

/**
 * The most significant half of event ids for test traffic, shaped as the edge's (a version-7 UUID:
 * 48 bits of milliseconds, the version nibble, a 12-bit counter) and, like the edge's, sorting in
 * the order they are handed out. The millisecond never goes back, and moves on when the counter
 * wraps: with a bare {@code millis << 16 | counter}, the 4,097th id of one millisecond sorted before
 * the first, so a recount's tie-break by id disagreed with the sink's journal order.
 *
 * <p>Not thread-safe: one per generator.
 */
public final class JournalIds {

    private long sequence;
    private long idMillis;

    /** The next id's high 64 bits; {@code millis} is the event's time, used unless an earlier id went past it. */
    public long next(long millis) {
        if ((sequence & 0xFFF) == 0 && sequence > 0) {
            idMillis++; // the counter wraps: the next id takes the next millisecond
        }
        idMillis = Math.max(idMillis, millis);
        return (idMillis << 16) | 0x7000L | (sequence++ & 0xFFF);
    }
}
