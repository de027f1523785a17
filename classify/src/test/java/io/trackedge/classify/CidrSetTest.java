package io.trackedge.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class CidrSetTest {

    @Test
    void ipv4RangesIncludeBothEndsAndNothingOutside() {
        CidrSet set = CidrSet.of(List.of("104.28.28.0/26", "10.0.0.5"));
        assertTrue(set.contains(IpLiteral.parse("104.28.28.0")));
        assertTrue(set.contains(IpLiteral.parse("104.28.28.63")));
        assertFalse(set.contains(IpLiteral.parse("104.28.28.64")));
        assertFalse(set.contains(IpLiteral.parse("104.28.27.255")));
        assertTrue(set.contains(IpLiteral.parse("10.0.0.5")));
        assertFalse(set.contains(IpLiteral.parse("10.0.0.6")));
    }

    @Test
    void ipv6RangesAndIpv4DoNotMix() {
        CidrSet set = CidrSet.of(List.of("2a02:26f7:b3c0:4000::/64", "2a01:111:f403::/48"));
        assertTrue(set.contains(IpLiteral.parse("2a02:26f7:b3c0:4000::1")));
        assertTrue(set.contains(IpLiteral.parse("2a02:26f7:b3c0:4000:ffff:ffff:ffff:ffff")));
        assertFalse(set.contains(IpLiteral.parse("2a02:26f7:b3c0:4001::")));
        assertTrue(set.contains(IpLiteral.parse("2a01:111:f403:c000::7")));
        assertFalse(set.contains(IpLiteral.parse("42.1.17.64")));
    }

    /**
     * A range written IPv4-mapped counts its prefix in 128 bits, as the edge's own networks do: one such
     * line refused the whole list file (the server did not start, or a reload kept the old lists).
     */
    @Test
    void anIpv4MappedRangeIsItsIpv4Network() {
        CidrSet set = CidrSet.of(List.of("::ffff:104.28.0.0/112", "::ffff:10.0.0.5"));
        assertTrue(set.contains(IpLiteral.parse("104.28.1.1")));
        assertTrue(set.contains(IpLiteral.parse("104.28.255.255")));
        assertFalse(set.contains(IpLiteral.parse("104.29.0.0")));
        assertTrue(set.contains(IpLiteral.parse("10.0.0.5")));
        assertFalse(set.contains(IpLiteral.parse("10.0.0.6")));
        assertThrows(IllegalArgumentException.class, () -> CidrSet.of(List.of("::ffff:104.28.0.0/80")),
                "wider than the mapped space");
        assertThrows(IllegalArgumentException.class, () -> CidrSet.of(List.of("104.28.0.0/33")));
    }

    @Test
    void adjacentAndOverlappingRangesMerge() {
        CidrSet set = CidrSet.of(List.of("192.0.2.0/25", "192.0.2.128/25", "192.0.2.10/32", "0.0.0.0/0"));
        assertEquals(1, set.size());
        assertTrue(set.contains(IpLiteral.parse("255.255.255.255")));
    }

    @Test
    void unknownOrMalformedAddressesAreNotContained() {
        CidrSet set = CidrSet.of(List.of("0.0.0.0/0"));
        assertFalse(set.contains(new byte[0]));
        assertFalse(set.contains(null));
        assertFalse(set.contains(new byte[5]));
    }

    @Test
    void aBadEntryIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CidrSet.of(List.of("1.2.3.0/24", "relay.example")));
        assertTrue(e.getMessage().contains("relay.example"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CidrSet.of(List.of("1.2.3.0/33")));
    }

    @Test
    void theSnapshotHoldsAppleRelayRanges() {
        Lists lists = ListSource.snapshot().current();
        assertTrue(lists.appleRelay().size() > 1000, "relay ranges: " + lists.appleRelay().size());
        assertTrue(lists.appleRelay().contains(IpLiteral.parse("104.28.28.1")));
        assertTrue(lists.securityVendors().contains(IpLiteral.parse("205.139.110.20")), "Mimecast US");
        assertFalse(lists.securityVendors().contains(IpLiteral.parse("203.0.113.9")));
    }
}
