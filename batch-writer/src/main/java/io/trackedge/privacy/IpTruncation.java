package io.trackedge.privacy;

import java.util.Arrays;

/**
 * Cuts a client address down to its network: IPv4 to /24, IPv6 to /48, and an IPv6 address that
 * carries an IPv4 address in its network part as that IPv4 address to /24.
 */
public final class IpTruncation {

    private IpTruncation() {
    }

    /**
     * Returns a new array with the host part zeroed, or {@code ip} itself when it is empty (unknown).
     * An IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}) is truncated as the IPv4 address it is,
     * since a /48 of it would keep nothing of the network. A 6to4 address ({@code 2002:a.b.c.d::/48})
     * holds the client's IPv4 address in bits 16 to 47, all of which a /48 keeps: it is cut to /40,
     * which keeps a /24 of that address, as the setting promises for IPv4.
     */
    public static byte[] truncate(byte[] ip) {
        if (ip == null || ip.length == 0) {
            return ip;
        }
        if (ip.length == 4) {
            byte[] t = Arrays.copyOf(ip, 4);
            t[3] = 0;
            return t;
        }
        if (ip.length == 16) {
            byte[] t = new byte[16];
            if (isV4Mapped(ip)) {
                System.arraycopy(ip, 0, t, 0, 15);
            } else if (ip[0] == 0x20 && ip[1] == 0x02) {
                System.arraycopy(ip, 0, t, 0, 5);
            } else {
                System.arraycopy(ip, 0, t, 0, 6);
            }
            return t;
        }
        // Not an address the journal writes; keep nothing rather than guess which bits are the host.
        return new byte[0];
    }

    private static boolean isV4Mapped(byte[] ip) {
        for (int i = 0; i < 10; i++) {
            if (ip[i] != 0) {
                return false;
            }
        }
        return ip[10] == (byte) 0xFF && ip[11] == (byte) 0xFF;
    }
}
