package io.trackedge.token;

/**
 * Strict, allocation-free base64url decoding (RFC 4648 section 5, no padding). Non-canonical input
 * (a length that is 1 mod 4, or set bits left over in the last character) is rejected, so each
 * token has exactly one spelling.
 */
final class Base64Url {

    private static final byte[] VALUE = new byte[128];

    static {
        java.util.Arrays.fill(VALUE, (byte) -1);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for (int i = 0; i < alphabet.length(); i++) {
            VALUE[alphabet.charAt(i)] = (byte) i;
        }
    }

    private Base64Url() {
    }

    static int decodedLength(int chars) {
        return chars / 4 * 3 + switch (chars % 4) {
            case 2 -> 1;
            case 3 -> 2;
            default -> 0;
        };
    }

    /**
     * Decodes {@code s[start..end)} into {@code out}.
     *
     * @return the number of bytes written, or -1 when the input is not canonical base64url or does not fit
     */
    static int decode(CharSequence s, int start, int end, byte[] out) {
        int chars = end - start;
        if (chars % 4 == 1 || decodedLength(chars) > out.length) {
            return -1;
        }
        // Four characters (24 bits) at a time: no per-character shift-and-test chain, and one
        // validity test per group (a negative value anywhere makes the OR negative).
        int o = 0;
        int i = start;
        for (int groupsEnd = start + chars / 4 * 4; i < groupsEnd; i += 4) {
            int a = value(s.charAt(i));
            int b = value(s.charAt(i + 1));
            int c = value(s.charAt(i + 2));
            int d = value(s.charAt(i + 3));
            if ((a | b | c | d) < 0) {
                return -1;
            }
            int n = a << 18 | b << 12 | c << 6 | d;
            out[o] = (byte) (n >> 16);
            out[o + 1] = (byte) (n >> 8);
            out[o + 2] = (byte) n;
            o += 3;
        }
        switch (end - i) {
            case 2 -> {
                int a = value(s.charAt(i));
                int b = value(s.charAt(i + 1));
                // 12 bits for one byte: the 4 left over must be zero (canonical).
                if ((a | b) < 0 || (b & 0x0F) != 0) {
                    return -1;
                }
                out[o++] = (byte) (a << 2 | b >> 4);
            }
            case 3 -> {
                int a = value(s.charAt(i));
                int b = value(s.charAt(i + 1));
                int c = value(s.charAt(i + 2));
                // 18 bits for two bytes: the 2 left over must be zero.
                if ((a | b | c) < 0 || (c & 0x03) != 0) {
                    return -1;
                }
                int n = a << 12 | b << 6 | c;
                out[o++] = (byte) (n >> 10);
                out[o++] = (byte) (n >> 2);
            }
            default -> {
            }
        }
        return o;
    }

    /** The 6-bit value of a base64url character, or -1 (also for any character past ASCII). */
    private static int value(char c) {
        return c < 128 ? VALUE[c] : -1;
    }

    static String encode(byte[] b) {
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
