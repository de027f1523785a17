package io.trackedge.ring;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. Time-ordered, so the
 * primary key index of the events table stays append-mostly; random enough that two edges never
 * collide. Produced as two longs so the hot path allocates nothing.
 */
public final class EventIds {

    private EventIds() {
    }

    public static long msb(long epochMillis) {
        long randA = ThreadLocalRandom.current().nextLong() & 0xFFFL;
        return (epochMillis << 16) | 0x7000L | randA;
    }

    public static long lsb() {
        return (ThreadLocalRandom.current().nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    }

    public static UUID next() {
        return new UUID(msb(System.currentTimeMillis()), lsb());
    }
}
