package io.trackedge.http;

/**
 * Event ids written lately, a fixed number of them: direct-mapped (an id takes the slot of its hash,
 * pushing out the one there), so a lookup or an add allocates nothing and costs one probe. Used on
 * one event loop only.
 */
final class RecentIds {

    private final long[] msbs;
    private final long[] lsbs;
    private final boolean[] used;
    private final int mask;

    /** @param slots a power of two */
    RecentIds(int slots) {
        if (Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("slots must be a power of two, got " + slots);
        }
        msbs = new long[slots];
        lsbs = new long[slots];
        used = new boolean[slots];
        mask = slots - 1;
    }

    boolean contains(long msb, long lsb) {
        int i = slot(msb, lsb);
        return used[i] && msbs[i] == msb && lsbs[i] == lsb;
    }

    void add(long msb, long lsb) {
        int i = slot(msb, lsb);
        msbs[i] = msb;
        lsbs[i] = lsb;
        used[i] = true;
    }

    private int slot(long msb, long lsb) {
        long h = (msb ^ lsb) * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & mask;
    }
}
