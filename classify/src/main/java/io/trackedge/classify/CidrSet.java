package io.trackedge.classify;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable set of IPv4 and IPv6 ranges, answering "is this address in it" with a binary search
 * over merged, sorted ranges. IPv4 addresses are held as IPv4-mapped IPv6 ({@code ::ffff:a.b.c.d}) so
 * one search serves both. About 32 bytes per merged range: Apple's ~14,000 relay ranges take ~450 KB.
 */
public final class CidrSet {

    private static final CidrSet EMPTY = new CidrSet(new long[0], new long[0], new long[0], new long[0]);

    // Range i is [startHi[i]:startLo[i], endHi[i]:endLo[i]], compared unsigned; ranges are disjoint and sorted.
    private final long[] startHi;
    private final long[] startLo;
    private final long[] endHi;
    private final long[] endLo;

    private CidrSet(long[] startHi, long[] startLo, long[] endHi, long[] endLo) {
        this.startHi = startHi;
        this.startLo = startLo;
        this.endHi = endHi;
        this.endLo = endLo;
    }

    public static CidrSet empty() {
        return EMPTY;
    }

    /**
     * Parses CIDRs ({@code 104.28.0.0/26}, {@code 2a02:26f7::/64}) or bare addresses (one host).
     *
     * @throws IllegalArgumentException naming the first entry that is not a CIDR
     */
    public static CidrSet of(List<String> cidrs) {
        List<long[]> ranges = new ArrayList<>(cidrs.size());
        for (int i = 0; i < cidrs.size(); i++) {
            try {
                ranges.add(parse(cidrs.get(i).trim()));
            } catch (IllegalArgumentException e) {
                throw new BadListEntry(i, e.getMessage(), e);
            }
        }
        ranges.sort((a, b) -> compare(a[0], a[1], b[0], b[1]));
        List<long[]> merged = new ArrayList<>(ranges.size());
        for (long[] r : ranges) {
            long[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last != null && !(compare(r[0], r[1], last[2], last[3]) > 0 && !adjacent(last, r))) {
                if (compare(r[2], r[3], last[2], last[3]) > 0) {
                    last[2] = r[2];
                    last[3] = r[3];
                }
            } else {
                merged.add(r.clone());
            }
        }
        int n = merged.size();
        long[] sh = new long[n];
        long[] sl = new long[n];
        long[] eh = new long[n];
        long[] el = new long[n];
        for (int i = 0; i < n; i++) {
            long[] r = merged.get(i);
            sh[i] = r[0];
            sl[i] = r[1];
            eh[i] = r[2];
            el[i] = r[3];
        }
        return new CidrSet(sh, sl, eh, el);
    }

    /** True when the 4- or 16-byte address is in a range; false for an empty or malformed one. */
    public boolean contains(byte[] ip) {
        return ip != null && contains(ip, ip.length);
    }

    /** True when the first {@code length} bytes of {@code ip} (4 or 16) are an address in a range; allocates nothing. */
    public boolean contains(byte[] ip, int length) {
        if ((length != 4 && length != 16) || ip.length < length || startHi.length == 0) {
            return false;
        }
        long hi;
        long lo;
        if (length == 4) {
            hi = 0;
            lo = 0xFFFF_0000_0000L | ((ip[0] & 0xFFL) << 24) | ((ip[1] & 0xFFL) << 16) | ((ip[2] & 0xFFL) << 8) | (ip[3] & 0xFFL);
        } else {
            hi = toLong(ip, 0);
            lo = toLong(ip, 8);
        }
        int lowIdx = 0;
        int highIdx = startHi.length - 1;
        int found = -1;
        while (lowIdx <= highIdx) {
            int mid = (lowIdx + highIdx) >>> 1;
            if (compare(startHi[mid], startLo[mid], hi, lo) <= 0) {
                found = mid;
                lowIdx = mid + 1;
            } else {
                highIdx = mid - 1;
            }
        }
        return found >= 0 && compare(hi, lo, endHi[found], endLo[found]) <= 0;
    }

    /** How many merged ranges the set holds. */
    public int size() {
        return startHi.length;
    }

    private static boolean adjacent(long[] last, long[] r) {
        long nextLo = last[3] + 1;
        long nextHi = nextLo == 0 ? last[2] + 1 : last[2];
        return nextHi == r[0] && nextLo == r[1];
    }

    private static long[] parse(String cidr) {
        int slash = cidr.indexOf('/');
        String addr = slash < 0 ? cidr : cidr.substring(0, slash);
        byte[] bytes = IpLiteral.parse(addr);
        if (bytes == null) {
            throw new IllegalArgumentException("not an IP range: '" + cidr + "'");
        }
        // IpLiteral gives an IPv4-mapped address (::ffff:a.b.c.d) as its 4 bytes, but its prefix counts
        // 128 bits, as the edge's own networks (config.Cidr) read it: /112 is a.b.0.0/16.
        boolean v6Prefix = bytes.length == 16 || addr.indexOf(':') >= 0;
        int maxBits = v6Prefix ? 128 : 32;
        int bits;
        try {
            bits = slash < 0 ? maxBits : Integer.parseInt(cidr.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an IP range: '" + cidr + "'", e);
        }
        if (bits < 0 || bits > maxBits) {
            throw new IllegalArgumentException("prefix length out of range in '" + cidr + "'");
        }
        if (bytes.length == 4 && v6Prefix && bits < 96) {
            throw new IllegalArgumentException("an IPv4-mapped range needs a prefix of 96 or more: '" + cidr + "'");
        }
        byte[] v6 = bytes.length == 16 ? bytes : mapped(bytes);
        int prefix = v6Prefix ? bits : bits + 96;
        long hi = toLong(v6, 0);
        long lo = toLong(v6, 8);
        long maskHi = prefix >= 64 ? -1L : (prefix == 0 ? 0 : -1L << (64 - prefix));
        long maskLo = prefix <= 64 ? 0 : (prefix == 128 ? -1L : -1L << (128 - prefix));
        return new long[] {hi & maskHi, lo & maskLo, hi | ~maskHi, lo | ~maskLo};
    }

    private static byte[] mapped(byte[] v4) {
        byte[] out = new byte[16];
        out[10] = (byte) 0xFF;
        out[11] = (byte) 0xFF;
        System.arraycopy(v4, 0, out, 12, 4);
        return out;
    }

    private static long toLong(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[off + i] & 0xFFL);
        }
        return v;
    }

    private static int compare(long aHi, long aLo, long bHi, long bLo) {
        int c = Long.compareUnsigned(aHi, bHi);
        return c != 0 ? c : Long.compareUnsigned(aLo, bLo);
    }

    @Override
    public String toString() {
        return "CidrSet[" + startHi.length + " ranges]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CidrSet c && Arrays.equals(startHi, c.startHi) && Arrays.equals(startLo, c.startLo)
                && Arrays.equals(endHi, c.endHi) && Arrays.equals(endLo, c.endLo);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(startLo) * 31 + Arrays.hashCode(endLo);
    }
}
