package io.trackedge.token;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * HMAC-SHA256 (RFC 2104) over two byte ranges, computed into a caller's array without allocating.
 * {@code javax.crypto.Mac#doFinal} allocates its result on every call, which the pixel hot path
 * cannot afford; this class keeps its pads and scratch space. Not thread-safe: one per thread.
 */
final class HmacSha256 {

    static final int LENGTH = 32;
    private static final int BLOCK = 64;

    private final MessageDigest digest;
    private final byte[] ipad = new byte[BLOCK];
    private final byte[] opad = new byte[BLOCK];
    private final byte[] inner = new byte[LENGTH];

    HmacSha256(byte[] key) {
        digest = sha256();
        byte[] k = key.length > BLOCK ? digest.digest(key) : key;
        for (int i = 0; i < BLOCK; i++) {
            byte b = i < k.length ? k[i] : 0;
            ipad[i] = (byte) (b ^ 0x36);
            opad[i] = (byte) (b ^ 0x5c);
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** Writes HMAC(key, a[aOff..aOff+aLen) || b[bOff..bOff+bLen)) into {@code out[outOff..outOff+32)}. */
    void mac(byte[] a, int aOff, int aLen, byte[] b, int bOff, int bLen, byte[] out, int outOff) {
        try {
            digest.reset();
            digest.update(ipad);
            digest.update(a, aOff, aLen);
            if (bLen > 0) {
                digest.update(b, bOff, bLen);
            }
            digest.digest(inner, 0, LENGTH);
            digest.update(opad);
            digest.update(inner);
            digest.digest(out, outOff, LENGTH);
        } catch (java.security.DigestException e) {
            throw new IllegalStateException("output buffer too small", e);
        }
    }
}
