package io.trackedge.privacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** What {@code ip = truncate} keeps of each kind of address. */
class IpTruncationTest {

    private static byte[] ip(String literal) throws Exception {
        return InetAddress.getByName(literal).getAddress();
    }

    private static void assertTruncated(String expected, String address) throws Exception {
        assertArrayEquals(ip(expected), IpTruncation.truncate(ip(address)), address);
    }

    @Test
    void ipv4KeepsItsSlash24AndIpv6ItsSlash48() throws Exception {
        assertTruncated("203.0.113.0", "203.0.113.7");
        assertTruncated("2001:db8:85a3::", "2001:db8:85a3:8d3:1319:8a2e:370:7348");
    }

    /** {@code InetAddress} unmaps {@code ::ffff:a.b.c.d} itself, so the 16 bytes are built by hand here. */
    @Test
    void anIpv4MappedAddressKeepsASlash24OfItsIpv4Address() {
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, (byte) 203, 0, 113, 7};
        byte[] expected = mapped.clone();
        expected[15] = 0;
        assertArrayEquals(expected, IpTruncation.truncate(mapped));
    }

    /** 2002:cb00:7107::/48 holds all of 203.0.113.7 in its network part. */
    @Test
    void aSixToFourAddressKeepsASlash24OfTheIpv4AddressItCarries() throws Exception {
        assertTruncated("2002:cb00:7100::", "2002:cb00:7107:1::1");
    }

    @Test
    void unknownAndOddLengthsKeepNothing() {
        assertArrayEquals(new byte[0], IpTruncation.truncate(new byte[0]));
        assertArrayEquals(new byte[0], IpTruncation.truncate(new byte[5]));
    }
}
