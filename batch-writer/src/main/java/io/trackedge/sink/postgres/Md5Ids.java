package io.trackedge.sink.postgres;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The ids of the dictionaries whose id is a function of the value ({@code user_agents},
 * {@code event_contexts}): the first 8 bytes, big-endian, of the md5 of a text in UTF-8, which is
 * what SQL's {@code ('x' || left(md5(text), 16))::bit(64)::bigint} gives.
 */
final class Md5Ids {

    private Md5Ids() {
    }

    /** A digest for {@link #of}; not thread-safe, so one per user. */
    static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has MD5", e);
        }
    }

    static long of(MessageDigest md5, String text) {
        byte[] d = md5.digest(text.getBytes(StandardCharsets.UTF_8));
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (d[i] & 0xFF);
        }
        return v;
    }
}
