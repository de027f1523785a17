package io.trackedge.token;

/**
 * The rule every string the edge stores must meet: Unicode text that PostgreSQL's {@code text}
 * type can hold. That leaves out U+0000, which PostgreSQL refuses ({@code invalid byte sequence
 * for encoding "UTF8": 0x00}) and which would stop a sink at the first such event; in a Java
 * string, a lone surrogate, which has no UTF-8 form ({@code String.getBytes} writes {@code ?} in
 * its place, so the value would be changed silently); and in bytes, anything that is not
 * well-formed UTF-8 (RFC 3629: no overlong forms, no encoded surrogates, nothing above U+10FFFF),
 * which a decoder would replace with U+FFFD. Signers, the rewriter and the ingest API refuse such
 * strings; the token verifier refuses tokens that carry them. Stateless and thread-safe.
 */
public final class StoredText {

    private StoredText() {
    }

    /** Null when {@code s} can be stored as it is, else why not (to follow the field's name). */
    public static String problem(String s) {
        int nul = s.indexOf(0);
        if (nul >= 0) {
            return "contains U+0000 (NUL) at character " + (nul + 1) + ", which PostgreSQL text cannot hold";
        }
        return loneSurrogate(s);
    }

    /**
     * Null when {@code s} has a UTF-8 form, else where its first lone surrogate is (to follow the
     * field's name). Alone for a destination URL: normalizing percent-encodes U+0000 there, but a
     * lone surrogate has no bytes to encode.
     */
    public static String loneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return String.format("contains a lone surrogate (U+%04X) at character %d, which is not Unicode text", (int) c, i + 1);
            }
        }
        return null;
    }

    /**
     * Whether {@code b[off..off+len)} is well-formed UTF-8 without U+0000 (Unicode table 3-7).
     * Allocation-free: the token verifier calls it on the hot path.
     */
    public static boolean isStorable(byte[] b, int off, int len) {
        int i = off;
        int end = off + len;
        while (i < end) {
            int c = b[i] & 0xFF;
            if (c >= 0x01 && c <= 0x7F) {
                i++;
                continue;
            }
            int n;
            int lo = 0x80;
            int hi = 0xBF;
            if (c >= 0xC2 && c <= 0xDF) {
                n = 1;
            } else if (c >= 0xE0 && c <= 0xEF) {
                n = 2;
                if (c == 0xE0) {
                    lo = 0xA0; // shorter forms are overlong
                } else if (c == 0xED) {
                    hi = 0x9F; // ED A0..BF would be a surrogate
                }
            } else if (c >= 0xF0 && c <= 0xF4) {
                n = 3;
                if (c == 0xF0) {
                    lo = 0x90;
                } else if (c == 0xF4) {
                    hi = 0x8F; // above U+10FFFF otherwise
                }
            } else {
                return false; // 00, a continuation byte, C0, C1 (overlong) or F5..FF
            }
            if (i + n >= end) {
                return false; // the sequence is cut off
            }
            int second = b[i + 1] & 0xFF;
            if (second < lo || second > hi) {
                return false;
            }
            for (int k = 2; k <= n; k++) {
                int x = b[i + k] & 0xFF;
                if (x < 0x80 || x > 0xBF) {
                    return false;
                }
            }
            i += n + 1;
        }
        return true;
    }
}
