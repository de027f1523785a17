package io.trackedge.sink.postgres;

/**
 * Emails whose {@code email_human_opens} row is known to be committed, so that a later human open
 * or click of the same email need not be staged and probed again; {@link KnownFirstTouches} for the
 * one first-touch table whose rows can go. A row goes only through {@link HumanOpens#recompute}, which
 * first takes the lock every batch holds shared and moves the epoch; a batch reads the epoch under
 * that lock ({@link HumanOpens#lockForInsert}) and hands it to {@link #validate} before asking
 * {@link #contains}: a moved epoch forgets every key. Not thread-safe, like KnownFirstTouches: the
 * commit pipeline runs one batch's first touches at a time, after the previous batch's commit.
 */
final class KnownHumanOpens {

    private static final int HUMAN = 4; // FirstTouch's kind bit, so the fingerprints differ from opens'

    private final KnownFirstTouches keys;
    private long epoch = Long.MIN_VALUE;

    KnownHumanOpens(int capacity) {
        this.keys = new KnownFirstTouches(capacity);
    }

    /** The epoch read under this batch's lock: forgets everything when a change moved it since the last batch. */
    void validate(long now) {
        if (now != epoch) {
            keys.clear();
            epoch = now;
        }
    }

    boolean contains(long a, long b) {
        return keys.contains(a, b);
    }

    void add(long a, long b) {
        keys.add(a, b);
    }

    static long first(java.util.UUID tenant, String email) {
        return KnownFirstTouches.first(HUMAN, tenant, email);
    }

    static long second(java.util.UUID tenant, String email) {
        return KnownFirstTouches.second(HUMAN, tenant, email);
    }

    /** Forgets every key (the sink reopens). */
    void clear() {
        keys.clear();
        epoch = Long.MIN_VALUE;
    }
}
