package io.trackedge.classify;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** Parses numeric IP literals only: never a DNS lookup, whatever the input. */
final class IpLiteral {

    private IpLiteral() {
    }

    /** The 4 or 16 bytes of a numeric IPv4 or IPv6 literal, or {@code null}. */
    static byte[] parse(String s) {
        if (s == null || s.isEmpty() || s.length() > 45) {
            return null;
        }
        boolean v6 = s.indexOf(':') >= 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= '0' && c <= '9') || c == '.' || (v6 && (c == ':' || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
            if (!ok) {
                return null;
            }
        }
        if (!v6 && s.chars().filter(c -> c == '.').count() != 3) {
            return null;
        }
        try {
            // Only digits, dots, colons and hex remain: InetAddress reads a literal without resolving it.
            // An IPv4-mapped IPv6 literal comes back as its 4 IPv4 bytes, which is what the ranges hold.
            return InetAddress.getByName(s).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
