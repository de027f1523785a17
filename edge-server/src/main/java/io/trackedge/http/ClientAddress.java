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
     * @return its length (4 or 16), or 0 when the header holds no usable address
     */
    int fromForwardedFor(String header, byte[] out) {
        int end = header.length();
        while (end > 0) {
            int comma = header.lastIndexOf(',', end - 1);
            int start = comma + 1;
            String entry = header.substring(start, end).trim();
            end = comma < 0 ? 0 : comma;
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
}
