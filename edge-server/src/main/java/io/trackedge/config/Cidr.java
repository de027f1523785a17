package io.trackedge.config;

import io.netty.util.NetUtil;

/**
 * An IPv4 or IPv6 network in CIDR notation; {@link #contains} allocates nothing. An IPv4-mapped
 * network ({@code ::ffff:10.0.0.0/104}) is held as the IPv4 network it maps ({@code 10.0.0.0/8}).
 */
public record Cidr(byte[] network, int prefix) {

    public static Cidr parse(String text) {
        String s = text.trim();
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(addr);
        if (bytes == null) {
            throw new IllegalArgumentException("not an IP address or CIDR: " + text);
        }
        int max = bytes.length * 8;
        int prefix;
        try {
            prefix = slash < 0 ? max : Integer.parseInt(s.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad prefix length in " + text);
        }
        if (prefix < 0 || prefix > max) {
            throw new IllegalArgumentException("prefix length must be 0.." + max + " in " + text);
        }
        if (isV4Mapped(bytes)) {
            // Addresses are compared in their IPv4 form (ClientAddress unmaps them), so the network is too.
            if (prefix < 96) {
                throw new IllegalArgumentException("an IPv4-mapped network must be /96 or longer (or written as IPv4): " + text);
            }
            return new Cidr(java.util.Arrays.copyOfRange(bytes, 12, 16), prefix - 96);
        }
        return new Cidr(bytes, prefix);
    }

    /** True when the first 16 bytes of {@code a} are an IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}). */
    public static boolean isV4Mapped(byte[] a) {
        if (a.length < 16) {
            return false;
        }
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xFF && a[11] == (byte) 0xFF;
    }

    /** True when the {@code length}-byte address (4 or 16) lies in this network. */
    public boolean contains(byte[] address, int length) {
        if (length != network.length) {
            return false;
        }
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (address[i] != network[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xFF << (8 - rest)) & 0xFF;
        return (address[full] & mask) == (network[full] & mask);
    }

    @Override
    public String toString() {
        return NetUtil.bytesToIpAddress(network) + "/" + prefix;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefix == prefix && java.util.Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return 31 * prefix + java.util.Arrays.hashCode(network);
    }
}
