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
        int o = 0;
        int acc = 0;
        int bits = 0;
        for (int i = start; i < end; i++) {
            char c = s.charAt(i);
            int v = c < 128 ? VALUE[c] : -1;
            if (v < 0) {
                return -1;
            }
            acc = (acc << 6) | v;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                out[o++] = (byte) (acc >> bits);
                acc &= (1 << bits) - 1;
            }
        }
        return acc == 0 ? o : -1;
    }

    static String encode(byte[] b) {
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
