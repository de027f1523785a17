package io.trackedge.sink.postgres;

import java.util.Arrays;
import java.util.UUID;

/**
 * Emails whose first open (or first click) is known to be committed already, so a later open of
 * the same email need not be staged and probed against {@code email_opens} again. A bounded,
 * 4-way set-associative table of 128-bit fingerprints of (kind, tenant, email): 16 bytes a key,
 * no objects. Forgetting a key (an eviction) only costs a probe; a false "known" would lose a first
 * touch, which takes two independent 64-bit hashes colliding at once.
 *
 * <p>Only keys of committed transactions go in, and rows of {@code email_opens} and
 * {@code email_clicks} are deleted only by an erasure, after which the sink forgets every key (its
 * next batch reads the erasure: {@link PrivacyFilter#erasedSinceLastBatch}), so "known" stays true
 * while the database keeps its commits; the table is cleared too whenever the sink reopens
 * ({@link CommitPipeline#reset}), which it does after any failure. Not thread-safe: the commit
 * pipeline touches it from one batch at a time (each batch's first touches run after the
 * previous batch's commit).
 */
final class KnownFirstTouches {

    private static final int WAYS = 4;

    private final long[] lo;
    private final long[] hi;
    private final int setMask;
    private int victim;

    /** @param capacity keys remembered at most; rounded up to a power of two, at least {@value #WAYS} */
    KnownFirstTouches(int capacity) {
        int sets = Integer.highestOneBit(Math.max(1, capacity / WAYS - 1)) << 1;
        this.lo = new long[sets * WAYS];
        this.hi = new long[sets * WAYS];
        this.setMask = sets - 1;
    }

    int capacity() {
        return lo.length;
    }

    /** Forgets every key. */
    void clear() {
        Arrays.fill(lo, 0);
        Arrays.fill(hi, 0);
    }

    boolean contains(int kind, UUID tenant, String email) {
        return contains(first(kind, tenant, email), second(kind, tenant, email));
    }

    /** Whether the key of fingerprint {@code (a, b)} ({@link #first}, {@link #second}) is known. */
    boolean contains(long a, long b) {
        int base = (int) (a & setMask) * WAYS;
        for (int i = base; i < base + WAYS; i++) {
            if (lo[i] == a && hi[i] == b) {
                return true;
            }
        }
        return false;
    }

    void add(int kind, UUID tenant, String email) {
        add(first(kind, tenant, email), second(kind, tenant, email));
    }

    /** Remembers the key of fingerprint {@code (a, b)}. */
    void add(long a, long b) {
        int base = (int) (a & setMask) * WAYS;
        for (int i = base; i < base + WAYS; i++) {
            if ((lo[i] == a && hi[i] == b) || (lo[i] == 0 && hi[i] == 0)) {
                lo[i] = a;
                hi[i] = b;
                return;
            }
        }
        int i = base + (victim++ & (WAYS - 1));
        lo[i] = a;
        hi[i] = b;
    }

    /** FNV-1a over the email's UTF-16 chars (no copy of its bytes), seeded with kind and tenant, then mixed. */
    static long first(int kind, UUID tenant, String email) {
        long h = 0xcbf29ce484222325L ^ kind ^ tenant.getMostSignificantBits();
        for (int i = 0; i < email.length(); i++) {
            h = (h ^ email.charAt(i)) * 0x100000001b3L;
        }
        return mix(h ^ tenant.getLeastSignificantBits());
    }

    /** A polynomial hash with another multiplier and seed, so it fails independently of {@link #first}. */
    static long second(int kind, UUID tenant, String email) {
        long h = 0x9E3779B97F4A7C15L * (kind + 1) ^ tenant.getLeastSignificantBits();
        for (int i = 0; i < email.length(); i++) {
            h = h * 0x5851F42D4C957F2DL + email.charAt(i);
        }
        return mix(h + email.length() ^ Long.rotateLeft(tenant.getMostSignificantBits(), 29)) | 1; // never 0: 0/0 marks a free slot
    }

    /** The finaliser of SplitMix64: spreads every input bit over the whole word. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
