package io.trackedge.sink;

/**
 * Tells a read that found nothing because the journal is not written that far yet from one that found
 * nothing though it was: the reader waits at bytes it cannot decide until more records follow them
 * (damage just before the end of the newest segment). The first is woken by the next write as always;
 * for the second the loop waits for the journal to grow past the limit it could not read to, rather
 * than polling the same bytes every 100 µs until then. Confined to the loop's thread.
 */
final class StuckRead {

    private long position = -1;
    private long limit = -1;

    /**
     * After a read at {@code position} that found nothing, with the journal's limit {@code limit} read
     * after it: the limit the journal must pass before a read can find more, or -1 when any record
     * past the reader will do. Two empty reads at the same position under the same limit, which the
     * reader had all of, mean it is stuck there until the limit moves.
     */
    long waitPast(long position, long limit) {
        if (limit > position && position == this.position && limit == this.limit) {
            return limit;
        }
        this.position = position;
        this.limit = limit;
        return -1;
    }
}
