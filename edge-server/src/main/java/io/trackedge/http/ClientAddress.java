package io.trackedge.http;

import io.netty.util.NetUtil;
import io.trackedge.config.Cidr;
import java.util.List;

/**
 * Decides which address an event is recorded under. The socket peer, unless the peer is a trusted
 * proxy: then the right-most {@code X-Forwarded-For} entry that is not itself a trusted proxy
 * (entries left of it could have been written by the client, so they are never believed).
 */
public final class ClientAddress {

    private final Cidr[] trusted;

    public ClientAddress(List<Cidr> trustedProxies) {
        this.trusted = trustedProxies.toArray(new Cidr[0]);
    }

    boolean hasTrustedProxies() {
        return trusted.length > 0;
    }

    /** True when the {@code length}-byte address (4 or 16) is one of the trusted proxies. */
    public boolean isTrusted(byte[] address, int length) {
        for (Cidr c : trusted) {
            if (c.contains(address, length)) {
                return true;
            }
        }
        return false;
    }

    /**
     * An IPv4-mapped IPv6 address ({@code ::ffff:192.0.2.1}, as dual-stack proxies write them) is the
     * IPv4 address: moves its last four bytes to the front, so that trusted proxies, exemptions and the
     * classifier's ranges, written as IPv4, match it.
     *
     * @return the address's length: 4 for a mapped one, else {@code length} unchanged
     */
    static int unmapped(byte[] address, int length) {
        if (length != 16 || !Cidr.isV4Mapped(address)) {
            return length;
        }
        System.arraycopy(address, 12, address, 0, 4);
        return 4;
    }

    /**
     * Writes the client address taken from a trusted proxy's {@code X-Forwarded-For} into {@code out}.
     *
     * @return its length (4 or 16), or 0 when the header holds no usable address (then what
     *     {@code out} holds is unspecified)
     */
    int fromForwardedFor(String header, byte[] out) {
        int end = header.length();
        while (end > 0) {
            int comma = header.lastIndexOf(',', end - 1);
            int start = comma + 1;
            int entryEnd = end;
            end = comma < 0 ? 0 : comma;
            // A balancer writes a plain IPv4 address nearly always: read it where it stands, without
            // the substrings and the general parse below (1.4 % of an event loop's CPU at 30,000/s).
            if (dottedQuad(header, start, entryEnd, out) == 4) {
                if (!isTrusted(out, 4)) {
                    return 4;
                }
                continue;
            }
            String entry = header.substring(start, entryEnd).trim();
            if (entry.isEmpty()) {
                continue;
            }
            if (entry.startsWith("[") && entry.contains("]")) {
                entry = entry.substring(1, entry.indexOf(']'));
            } else if (entry.indexOf(':') > 0 && entry.indexOf(':') == entry.lastIndexOf(':')) {
                entry = entry.substring(0, entry.indexOf(':')); // IPv4 with a port
            }
            byte[] ip = NetUtil.createByteArrayFromIpAddressString(entry);
            if (ip == null) {
                return 0; // garbage in the chain: believe nothing left of it
            }
            int length = unmapped(ip, ip.length);
            if (!isTrusted(ip, length)) {
                System.arraycopy(ip, 0, out, 0, length);
                return length;
            }
        }
        return 0;
    }

    /**
     * A dotted-quad IPv4 address in {@code s[from..to)}, with nothing around it but what
     * {@link String#trim} removes, into {@code out[0..4)}: 4, else -1 and {@code out} unspecified.
     * It takes only what Netty's parse in {@link #fromForwardedFor} reads as the same four bytes (one
     * to three digits a part, each at most 255), so for any entry the answer is the same either way.
     */
    static int dottedQuad(String s, int from, int to, byte[] out) {
        while (from < to && s.charAt(from) <= ' ') {
            from++;
        }
        while (to > from && s.charAt(to - 1) <= ' ') {
            to--;
        }
        int part = 0;
        int digits = 0;
        int dots = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                if (++digits > 3) {
                    return -1;
                }
                part = part * 10 + (c - '0');
            } else if (c == '.' && digits > 0 && dots < 3 && part <= 255) {
                out[dots++] = (byte) part;
                part = 0;
                digits = 0;
            } else {
                return -1;
            }
        }
        if (dots != 3 || digits == 0 || part > 255) {
            return -1;
        }
        out[3] = (byte) part;
        return 4;
    }
}
