package io.trackedge.http;

/**
 * Event ids for events that happen once per token (a one-click unsubscribe): the token's own
 * HMAC tag (16 bytes, keyed, so no one can derive it from the recipient's fields without the
 * signing key) with the version 8 and RFC variant bits set. The same token gives the same id on
 * every edge and after every restart; allocation-free but for the result.
 */
final class OnceIds {

    private OnceIds() {
    }

    /** {msb, lsb} of the id for the tag {@code bytes[off, off + 16)}. */
    static long[] of(byte[] bytes, int off) {
        long msb = 0;
        long lsb = 0;
        for (int i = 0; i < 8; i++) {
            msb = msb << 8 | (bytes[off + i] & 0xFF);
            lsb = lsb << 8 | (bytes[off + 8 + i] & 0xFF);
        }
        msb = msb & ~0xF000L | 0x8000L; // version 8: custom
        lsb = lsb & 0x3FFFFFFFFFFFFFFFL | 0x8000000000000000L; // the RFC variant
        return new long[] {msb, lsb};
    }
}
