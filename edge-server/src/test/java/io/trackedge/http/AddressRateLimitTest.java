package io.trackedge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.util.NetUtil;
import io.trackedge.config.EdgeConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The per-address allowance, on a clock the test moves: burst, growth, the /64, exemptions and the table's slots. */
class AddressRateLimitTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private final AtomicLong clock = new AtomicLong(-5 * SECOND); // nanoTime may be negative
    private final AtomicInteger exemptionAsked = new AtomicInteger();

    private AddressRateLimit limit(int perSecond, int burst, int addresses, byte[]... exempt) {
        return new AddressRateLimit(new EdgeConfig.RateLimit(perSecond, burst, addresses, List.of(), false), (a, n) -> {
            exemptionAsked.incrementAndGet();
            for (byte[] e : exempt) {
                if (n == e.length && java.util.Arrays.equals(java.util.Arrays.copyOf(a, n), e)) {
                    return true;
                }
            }
            return false;
        }, clock::get);
    }

    private static byte[] ip(String text) {
        byte[] a = NetUtil.createByteArrayFromIpAddressString(text);
        byte[] out = new byte[16];
        System.arraycopy(a, 0, out, 0, a.length);
        return out;
    }

    private static boolean allow(AddressRateLimit l, String address) {
        byte[] a = NetUtil.createByteArrayFromIpAddressString(address);
        return l.allow(ip(address), a.length);
    }

    private static int allowedOf(AddressRateLimit l, String address, int requests) {
        int n = 0;
        for (int i = 0; i < requests; i++) {
            if (allow(l, address)) {
                n++;
            }
        }
        return n;
    }

    @Test
    void anAddressSendsItsBurstAtOnceThenOneRequestPerIntervalAsItsAllowanceGrowsBack() {
        AddressRateLimit l = limit(10, 5, 1024);
        assertEquals(5, allowedOf(l, "203.0.113.7", 20), "the burst, then nothing");
        assertEquals(15, l.refused());
        clock.addAndGet(SECOND / 10 - 1);
        assertFalse(allow(l, "203.0.113.7"), "just under one interval: not yet");
        clock.addAndGet(1);
        assertTrue(allow(l, "203.0.113.7"), "one interval (1/10 s) later: one more");
        assertFalse(allow(l, "203.0.113.7"));
        clock.addAndGet(SECOND);
        assertEquals(5, allowedOf(l, "203.0.113.7", 20), "a second later the bucket is full again, never fuller");
    }

    @Test
    void refusedRequestsDoNotDeepenTheDebt() {
        AddressRateLimit l = limit(10, 2, 1024);
        assertEquals(2, allowedOf(l, "198.51.100.1", 2));
        assertEquals(0, allowedOf(l, "198.51.100.1", 1000), "a flood while over the limit");
        clock.addAndGet(SECOND / 10);
        assertTrue(allow(l, "198.51.100.1"), "one interval after the burst, as if the flood had not been sent");
    }

    @Test
    void addressesHaveAllowancesOfTheirOwnAndAnIpv6Slash64IsOneAddress() {
        AddressRateLimit l = limit(1, 3, 1024);
        assertEquals(3, allowedOf(l, "203.0.113.7", 10));
        assertEquals(3, allowedOf(l, "203.0.113.8", 10), "the neighbour is not charged");
        assertEquals(0, allowedOf(l, "::ffff:203.0.113.7", 5), "an IPv4-mapped address is the IPv4 address");
        assertEquals(3, allowedOf(l, "2001:db8:1:2::1", 2) + allowedOf(l, "2001:db8:1:2:ffff::9", 10),
                "two hosts of one /64 share its allowance");
        assertEquals(3, allowedOf(l, "2001:db8:1:3::1", 10), "the next /64 has its own");
    }

    @Test
    void anUnknownAddressIsNeverLimited() {
        AddressRateLimit l = limit(1, 1, 1024);
        for (int i = 0; i < 10; i++) {
            assertTrue(l.allow(new byte[16], 0));
        }
        assertEquals(0, l.refused());
    }

    @Test
    void theExemptionIsAskedOnlyOverTheLimitAndAnExemptAddressIsNotRefused() {
        byte[] relay = NetUtil.createByteArrayFromIpAddressString("104.28.28.1");
        AddressRateLimit l = limit(1, 2, 1024, relay);
        assertEquals(2, allowedOf(l, "203.0.113.7", 2));
        assertEquals(0, exemptionAsked.get(), "within its allowance an address costs no exemption check");
        assertEquals(50, allowedOf(l, "104.28.28.1", 50));
        assertEquals(48, exemptionAsked.get());
        assertEquals(0, l.refused());
        assertFalse(allow(l, "203.0.113.7"));
        assertEquals(1, l.refused());
    }

    @Test
    void newAddressesTakeIdleSlotsAndOnlyBusyOnesCountAsEvicted() {
        AddressRateLimit l = limit(1, 2, 64); // 8 sets of 8
        assertEquals(64, l.capacity());
        for (int i = 0; i < 1000; i++) {
            assertTrue(allow(l, "10.0." + (i >> 8) + "." + (i & 255)));
            clock.addAndGet(SECOND); // each address is idle (full again) before the next arrives
        }
        assertEquals(0, l.evictions(), "idle addresses hold nothing worth keeping");
        for (int i = 0; i < 1000; i++) {
            allow(l, "10.1." + (i >> 8) + "." + (i & 255)); // 1,000 addresses busy at once in 64 slots
        }
        assertTrue(l.evictions() >= 1000 - 64, "every address past the table's size forgot one: " + l.evictions());
    }

    @Test
    void loopsSharingTheLimitAllowTheBurstExactlyOnce() throws Exception {
        AddressRateLimit l = limit(1, 1000, 1024);
        AtomicInteger allowed = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                allowed.addAndGet(allowedOf(l, "203.0.113.7", 2000));
            }));
        }
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(1000, allowed.get());
        assertEquals(7000, l.refused());
    }

    @Test
    void theTableHoldsAtLeastTheAddressesAsked() {
        assertEquals(64, limit(1, 1, 64).capacity());
        assertEquals(128, limit(1, 1, 65).capacity(), "rounded up, never down");
        assertEquals(65_536, limit(1, 1, 65_536).capacity());
    }

    @Test
    void aLimitThatIsOffCannotBeBuilt() {
        assertThrows(IllegalArgumentException.class, () -> limit(0, 10, 1024));
    }
}
