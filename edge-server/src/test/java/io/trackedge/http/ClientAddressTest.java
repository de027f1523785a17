package io.trackedge.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.util.NetUtil;
import io.trackedge.config.Cidr;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link ClientAddress#fromForwardedFor}: the right-most entry that is not a trusted proxy. Its
 * dotted-quad fast path must answer exactly what the general parse does, for any header.
 */
class ClientAddressTest {

    private final ClientAddress addresses = new ClientAddress(List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("127.0.0.1/32"),
            Cidr.parse("2001:db8::/32")));

    /** The header's client as the edge records it: its bytes, or null when the header names none. */
    private byte[] client(String header) {
        byte[] out = new byte[16];
        int n = addresses.fromForwardedFor(header, out);
        return n == 0 ? null : Arrays.copyOf(out, n);
    }

    private static byte[] ip(String s) {
        byte[] b = NetUtil.createByteArrayFromIpAddressString(s);
        return b.length == 16 && Cidr.isV4Mapped(b) ? Arrays.copyOfRange(b, 12, 16) : b;
    }

    @Test
    void theRightMostEntryThatIsNotATrustedProxyIsTheClient() {
        assertArrayEquals(ip("203.0.113.7"), client("203.0.113.7"));
        assertArrayEquals(ip("203.0.113.7"), client("198.51.100.1, 203.0.113.7, 10.1.2.3"));
        assertArrayEquals(ip("203.0.113.7"), client(" 203.0.113.7 ,10.1.2.3,\t127.0.0.1 "));
        assertArrayEquals(ip("203.0.113.7"), client("203.0.113.7:5123"));
        assertArrayEquals(ip("203.0.113.7"), client("::ffff:203.0.113.7, 10.0.0.1"));
        assertArrayEquals(ip("2001:db9::5"), client("[2001:db9::5]:443, 2001:db8::1"));
        assertArrayEquals(ip("0.0.0.0"), client("000.00.0.0"));
        assertArrayEquals(ip("255.255.255.255"), client("255.255.255.255"));
        assertEquals(null, client("10.0.0.1, 127.0.0.1"));
        assertEquals(null, client(""));
        assertEquals(null, client(" , ,"));
        // garbage in the chain: nothing left of it is believed
        assertEquals(null, client("203.0.113.7, 256.1.1.1, 10.0.0.1"));
        assertEquals(null, client("203.0.113.7, 1.2.3, 10.0.0.1"));
        assertEquals(null, client("203.0.113.7, 1.2.3.4.5"));
        assertEquals(null, client("203.0.113.7, 1..2.3"));
        assertEquals(null, client("203.0.113.7, 0001.2.3.4"));
        assertEquals(null, client("unknown"));
    }

    @Test
    void theFastPathAnswersWhatTheGeneralParseDoesForAnyHeader() {
        String[] parts = {"1", "2", "7", "25", "99", "255", "256", "300", "0", "00", "012", "0255", "9999", ".", ".", ".", ",", ",",
            " ", "\t", ":", "[", "]", "::ffff:", "::1", "2001:db8::1", "2001:db9::", "a", "-", "+", "10", "127.0.0.1", "10.9.8.7",
            "203.0.113.", "192.0.2.1", "\u0661", "\u00a0"};
        Random random = new Random(15);
        byte[] fast = new byte[16];
        for (int i = 0; i < 200_000; i++) {
            StringBuilder h = new StringBuilder();
            for (int k = 1 + random.nextInt(14); k > 0; k--) {
                h.append(parts[random.nextInt(parts.length)]);
            }
            String header = h.toString();
            int n = addresses.fromForwardedFor(header, fast);
            byte[] expected = generalParse(header);
            assertEquals(expected == null ? 0 : expected.length, n, header);
            if (expected != null) {
                assertArrayEquals(expected, Arrays.copyOf(fast, n), header);
            }
        }
    }

    /** The parse before the fast path (2026-12-02), entry by entry: the reference. */
    private byte[] generalParse(String header) {
        int end = header.length();
        while (end > 0) {
            int comma = header.lastIndexOf(',', end - 1);
            String entry = header.substring(comma + 1, end).trim();
            end = comma < 0 ? 0 : comma;
            if (entry.isEmpty()) {
                continue;
            }
            if (entry.startsWith("[") && entry.contains("]")) {
                entry = entry.substring(1, entry.indexOf(']'));
            } else if (entry.indexOf(':') > 0 && entry.indexOf(':') == entry.lastIndexOf(':')) {
                entry = entry.substring(0, entry.indexOf(':'));
            }
            byte[] ip = NetUtil.createByteArrayFromIpAddressString(entry);
            if (ip == null) {
                return null;
            }
            int length = ClientAddress.unmapped(ip, ip.length);
            if (!addresses.isTrusted(ip, length)) {
                return Arrays.copyOf(ip, length);
            }
        }
        return null;
    }
}
