package io.trackedge.http;

/** Finds and percent-decodes one query parameter into a caller's buffer, without allocating. */
final class QueryParam {

    /** The value was malformed (bad percent-encoding) or longer than the buffer. */
    static final int INVALID = -1;

    private QueryParam() {
    }

    /**
     * Decodes the first parameter named {@code name} in {@code s[from..)} (form encoding: {@code +} is
     * a space) into {@code out}.
     *
     * @return the decoded length, 0 when the parameter is absent or empty, or {@link #INVALID}
     */
    static int decode(String s, int from, String name, byte[] out) {
        int len = s.length();
        int p = from;
        while (p < len) {
            int amp = s.indexOf('&', p);
            int end = amp < 0 ? len : amp;
            int eq = s.indexOf('=', p);
            if (eq > 0 && eq < end && eq - p == name.length() && s.startsWith(name, p)) {
                return decodeValue(s, eq + 1, end, out);
            }
            p = end + 1;
        }
        return 0;
    }

    private static int decodeValue(String s, int start, int end, byte[] out) {
        int n = 0;
        for (int i = start; i < end; i++) {
            if (n == out.length) {
                return INVALID;
            }
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= end) {
                    return INVALID;
                }
                int hi = hex(s.charAt(i + 1));
                int lo = hex(s.charAt(i + 2));
                if (hi < 0 || lo < 0) {
                    return INVALID;
                }
                out[n++] = (byte) ((hi << 4) | lo);
                i += 2;
            } else if (c == '+') {
                out[n++] = ' ';
            } else if (c < 0x80) {
                out[n++] = (byte) c;
            } else {
                return INVALID; // raw non-ASCII in a query is not a URL we signed
            }
        }
        return n;
    }

    /** ASCII hex digit value, or -1; unlike Character.digit, no other script's digits or full-width letters. */
    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
}
