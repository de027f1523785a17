package io.trackedge.ring;

/**
 * The ring sequences whose events the journal did not write (the disk refused their batch, or the
 * journal was at its cap), so that an acknowledgement is given only for what was written.
 *
 * <p>One writer (the appender) and any number of readers. A reader asks only about a sequence the
 * appender has already reported handled; the appender records a sequence here before reporting
 * it, so the answer is final. Asking costs one volatile read while nothing has failed lately;
 * the lock is taken only for a sequence at or below the highest one that failed.
 *
 * <p>Consecutive failures merge into one range, so a disk that stays full uses one entry. At most
 * {@link #KEPT} ranges are kept; a sequence older than the oldest kept range is reported unwritten.
 * That errs on the safe side: a client told "not written" retries, and its event ids make the
 * retry count once.
 */
final class UnwrittenRanges {

    static final int KEPT = 1024;

    private final long[] lows = new long[KEPT];
    private final long[] highs = new long[KEPT];
    private int first;
    private int count;
    /** Every sequence at or below this that no kept range holds is unknown: reported unwritten. */
    private long forgottenThrough = -1;
    private volatile long highest = -1;

    /** Records {@code [lo, hi]} as not written. Appender thread only. */
    void add(long lo, long hi) {
        synchronized (this) {
            int last = (first + count - 1) % KEPT;
            if (count > 0 && lo <= highs[last] + 1 && hi >= lows[last] - 1) {
                lows[last] = Math.min(lows[last], lo);
                highs[last] = Math.max(highs[last], hi);
            } else {
                if (count == KEPT) {
                    forgottenThrough = Math.max(forgottenThrough, highs[first]);
                    first = (first + 1) % KEPT;
                    count--;
                }
                int i = (first + count) % KEPT;
                lows[i] = lo;
                highs[i] = hi;
                count++;
            }
        }
        if (hi > highest) {
            highest = hi;
        }
    }

    /**
     * True when every event of {@code [lo, hi]}, all already handled by the appender, is in the
     * journal file. (A group published at once may still be handled in two batches.)
     */
    boolean written(long lo, long hi) {
        if (lo > highest) {
            return true;
        }
        synchronized (this) {
            for (int k = 0; k < count; k++) {
                int i = (first + k) % KEPT;
                if (lo <= highs[i] && hi >= lows[i]) {
                    return false;
                }
            }
            return lo > forgottenThrough;
        }
    }
}
