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

    /**
     * Parses one key, {@code <id>:<secret>}, strictly (docs/tracking-token.md section 7): the id in
     * decimal 0..255 with no sign, no leading zero and no spaces; the secret canonical base64url of
     * at least {@link #MIN_SECRET_BYTES} bytes, optionally followed by the {@code =} padding that
     * makes its length a multiple of 4. Error messages never contain the secret.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    public static SigningKey parse(String spec) {
        int colon = spec.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("no ':' between the id and the secret; " + FORM);
        }
        String idText = spec.substring(0, colon);
        if (!idText.matches("0|[1-9][0-9]{0,2}") || Integer.parseInt(idText) > 255) {
            String shown = idText.length() > 16 ? idText.substring(0, 16) + "..." : idText;
            throw new IllegalArgumentException("the id \"" + shown + "\" is not a decimal number 0..255 "
                    + "(no sign, leading zero or spaces); " + FORM);
        }
        int id = Integer.parseInt(idText);
        byte[] secret = decodeSecret(spec.substring(colon + 1));
        if (secret == null) {
            throw new IllegalArgumentException("key " + id + ": the secret is not canonical base64url "
                    + "(A-Z a-z 0-9 - _, no spaces, unused low bits zero)");
        }
        return new SigningKey(id, secret);
    }

    /** What a key looks like, for error messages (the config adds how to make one). */
    static final String FORM = "a key is <id>:<base64url secret>";

    /** Strict base64url with optional padding; null when the text is not the canonical spelling of any bytes. */
    private static byte[] decodeSecret(String s) {
        int n = s.length();
        if (s.endsWith("=")) {
            if (n % 4 != 0) {
                return null;
            }
            n -= s.endsWith("==") ? 2 : 1;
            if (n % 4 < 2) {
                return null; // padding that pads nothing
            }
        }
        byte[] out = new byte[Base64Url.decodedLength(n)];
        return Base64Url.decode(s, 0, n, out) == out.length ? out : null;
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
