package io.trackedge.ingest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The text of an ingest API key: {@code tek_} and the base64url (no padding) of 32 random bytes,
 * 47 characters in all. Its first {@link #PREFIX_LENGTH} characters are the key's prefix, which
 * is not secret (it names the key in listings and finds its row); only the SHA-256 of the whole
 * text is stored.
 */
public final class IngestKeyFormat {

    public static final String MARK = "tek_";
    public static final int LENGTH = MARK.length() + 43;
    public static final int PREFIX_LENGTH = MARK.length() + 8;

    private IngestKeyFormat() {
    }

    /** A new random key. */
    public static String generate(SecureRandom random) {
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        return MARK + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    }

    /** True when {@code key} has the shape of a key (says nothing of whether it exists). */
    public static boolean wellFormed(CharSequence key) {
        if (key.length() != LENGTH || !MARK.contentEquals(key.subSequence(0, MARK.length()))) {
            return false;
        }
        for (int i = MARK.length(); i < LENGTH; i++) {
            char c = key.charAt(i);
            boolean ok = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    public static String prefixOf(String key) {
        return key.substring(0, PREFIX_LENGTH);
    }

    public static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
