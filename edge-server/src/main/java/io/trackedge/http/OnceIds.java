package io.trackedge.http;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Event ids derived from a token's fields, for events that happen once per token (a one-click
 * unsubscribe): SHA-256 of a label and the fields, cut to an RFC 9562 version 8 UUID. The same
 * token gives the same id on every edge and after every restart.
 */
final class OnceIds {

    private static final byte[] LABEL = "trackedge/once/v1:".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private OnceIds() {
    }

    /** {msb, lsb} of the id for the fields {@code bytes[off, off + len)}. */
    static long[] of(byte[] bytes, int off, int len) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JRE has SHA-256", e);
        }
        sha.update(LABEL);
        sha.update(bytes, off, len);
        byte[] h = sha.digest();
        long msb = 0;
        long lsb = 0;
        for (int i = 0; i < 8; i++) {
            msb = msb << 8 | (h[i] & 0xFF);
            lsb = lsb << 8 | (h[8 + i] & 0xFF);
        }
        msb = msb & ~0xF000L | 0x8000L; // version 8: custom
        lsb = lsb & 0x3FFFFFFFFFFFFFFFL | 0x8000000000000000L; // the RFC variant
        return new long[] {msb, lsb};
    }
}
