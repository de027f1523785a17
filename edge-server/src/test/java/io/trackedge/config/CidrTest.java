package io.trackedge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.util.NetUtil;
import org.junit.jupiter.api.Test;

/** Networks as the configuration writes them: IPv4, IPv6, and IPv4-mapped IPv6, which is held as the IPv4 network. */
class CidrTest {

    private static boolean contains(Cidr c, String address) {
        byte[] a = NetUtil.createByteArrayFromIpAddressString(address);
        return c.contains(a, a.length);
    }

    @Test
    void ipv4AndIpv6NetworksHoldTheirAddresses() {
        Cidr v4 = Cidr.parse("10.0.0.0/8");
        assertTrue(contains(v4, "10.200.3.4"));
        assertFalse(contains(v4, "11.0.0.1"));
        Cidr v6 = Cidr.parse("2001:db8::/32");
        assertTrue(contains(v6, "2001:db8:ffff::1"));
        assertFalse(contains(v6, "2001:db9::1"));
        assertTrue(contains(Cidr.parse("192.0.2.7"), "192.0.2.7"), "a bare address is one host");
    }

    @Test
    void anIpv4MappedNetworkIsTheIpv4NetworkItMaps() {
        // ClientAddress compares addresses in their IPv4 form, so a network written mapped must match them
        Cidr mapped = Cidr.parse("::ffff:10.0.0.0/104");
        assertEquals(Cidr.parse("10.0.0.0/8"), mapped);
        assertTrue(contains(mapped, "10.1.2.3"));
        assertEquals(Cidr.parse("127.0.0.5/32"), Cidr.parse("::ffff:127.0.0.5"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cidr.parse("::ffff:0:0/95"));
        assertTrue(e.getMessage().contains("/96 or longer"), e.getMessage());
    }
}
