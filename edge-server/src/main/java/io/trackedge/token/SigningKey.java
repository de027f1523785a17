package io.trackedge.token;

import java.util.Arrays;
import java.util.Base64;

/**
 * One HMAC key with its one-byte id. The id travels in every token, so the verifier picks the key
 * without trying them all, and keys rotate by adding a new id before retiring the old one.
 */
public record SigningKey(int id, byte[] secret) {

    public static final int MIN_SECRET_BYTES = 32;

    public SigningKey {
        if (id < 0 || id > 255) {
            throw new IllegalArgumentException("key id must be 0..255, got " + id);
        }
        if (secret.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("key " + id + ": secret must be at least " + MIN_SECRET_BYTES
                    + " bytes, got " + secret.length);
        }
        secret = secret.clone();
    }

    @Override
    public byte[] secret() {
        return secret.clone();
    }

    /** Parses {@code <id>:<base64url secret>}. */
    public static SigningKey parse(String spec) {
        int colon = spec.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("a key is <id>:<base64url secret>, e.g. 1:" + "q".repeat(43));
        }
        int id;
        try {
            id = Integer.parseInt(spec.substring(0, colon).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("key id is not a number: " + spec.substring(0, colon));
        }
        byte[] secret;
        try {
            secret = Base64.getUrlDecoder().decode(spec.substring(colon + 1).trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("key " + id + ": secret is not base64url: " + e.getMessage());
        }
        return new SigningKey(id, secret);
    }

    /** Formats as {@link #parse} reads it. */
    public String format() {
        return id + ":" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SigningKey k && k.id == id && Arrays.equals(k.secret, secret);
    }

    @Override
    public int hashCode() {
        return 31 * id + Arrays.hashCode(secret);
    }

    @Override
    public String toString() {
        return "SigningKey[id=" + id + ", secret=<redacted>]";
    }
}
