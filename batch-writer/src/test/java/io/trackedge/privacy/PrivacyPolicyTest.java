package io.trackedge.privacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import java.net.InetAddress;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PrivacyPolicyTest {

    private static final UUID KEEP = UUID.fromString("00000000-0000-4000-8000-000000000001");
    private static final UUID CUT = UUID.fromString("00000000-0000-4000-8000-000000000002");
    private static final UUID DROP = UUID.fromString("00000000-0000-4000-8000-000000000003");
    private static final UUID AGG = UUID.fromString("00000000-0000-4000-8000-000000000004");

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final ErasureList erasures = ErasureList.empty();
    private final PrivacyPolicy policy = new PrivacyPolicy(new PrivacySettings(TenantPrivacy.KEEP_ALL, Map.of(
            CUT, new TenantPrivacy(IpMode.TRUNCATE, false, false),
            DROP, new TenantPrivacy(IpMode.DROP, true, false),
            AGG, new TenantPrivacy(IpMode.KEEP, true, true)), Duration.ofDays(7)), erasures, now::get);

    private static byte[] ip(String s) throws Exception {
        return InetAddress.getByName(s).getAddress();
    }

    private static EventRecord event(UUID tenant, EventType type, String email, byte[] ip) {
        return new EventRecord(UUID.randomUUID(), type, EventRecord.FLAG_UA_CUT, 1_700_000_000_000_000L, ip, "Mozilla/5.0 (X11)",
                new EventFields(tenant, UUID.randomUUID(), type.isWarmup() ? "-" : "c", "m", type.isWarmup() ? "-" : email,
                        null, null, null), null, Map.of());
    }

    @Test
    void ipv4IsCutToItsSlash24AndIpv6ToItsSlash48() throws Exception {
        assertArrayEquals(ip("203.0.113.0"), IpTruncation.truncate(ip("203.0.113.77")));
        assertArrayEquals(ip("2001:db8:1234::"), IpTruncation.truncate(ip("2001:db8:1234:5678:9abc::1")));
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xFF;
        mapped[11] = (byte) 0xFF;
        System.arraycopy(ip("198.51.100.9"), 0, mapped, 12, 4);
        byte[] cut = IpTruncation.truncate(mapped);
        assertEquals(0, cut[15]);
        assertEquals((byte) 100, cut[14], "an IPv4-mapped address keeps its /24, not a /48 of zeros");
        assertEquals(0, IpTruncation.truncate(new byte[0]).length);
    }

    @Test
    void aTruncatingTenantKeepsTheNetworkAndLosesTheUserAgent() throws Exception {
        EventRecord e = event(CUT, EventType.OPEN, "e1", ip("203.0.113.77"));
        EventRecord kept = policy.apply(e);
        assertArrayEquals(ip("203.0.113.0"), kept.ip());
        assertNull(kept.userAgent());
        assertEquals(0, kept.flags() & EventRecord.FLAG_UA_CUT, "no user agent, so none was cut");
        assertEquals(e.id(), kept.id());
        assertEquals(e.fields(), kept.fields());
    }

    @Test
    void aDroppingTenantKeepsNoAddressAndADefaultTenantKeepsEverything() throws Exception {
        EventRecord dropped = policy.apply(event(DROP, EventType.CLICK, "e1", ip("2001:db8::1")));
        assertEquals(0, dropped.ip().length);
        assertEquals("Mozilla/5.0 (X11)", dropped.userAgent());
        EventRecord e = event(KEEP, EventType.OPEN, "e1", ip("203.0.113.77"));
        assertSame(e, policy.apply(e));
    }

    @Test
    void anAggregateOnlyTenantsEventsAreCountedOnlyExceptWarmUp() throws Exception {
        EventRecord open = event(AGG, EventType.OPEN, "e1", ip("203.0.113.77"));
        EventRecord warmup = event(AGG, EventType.WARMUP_OPEN, "-", ip("203.0.113.77"));
        assertNull(policy.apply(open));
        PrivacyPolicy.Admitted a = policy.admit(List.of(open, warmup));
        assertEquals(List.of(open), a.countedOnly());
        assertEquals(List.of(warmup), a.stored());
    }

    /**
     * The stored events whose address or User-Agent the policy cut, by their place among those stored: the sink
     * marks their rows, and a re-score leaves their verdicts alone. Not an event kept whole, nor one whose rules
     * would cut what it did not have (no User-Agent to drop, an address already the network's or none).
     */
    @Test
    void admitNamesTheStoredEventsItCut() throws Exception {
        EventRecord counted = event(AGG, EventType.OPEN, "e0", ip("203.0.113.77"));
        EventRecord whole = event(KEEP, EventType.OPEN, "e1", ip("203.0.113.77"));
        EventRecord truncated = event(CUT, EventType.OPEN, "e2", ip("203.0.113.77"));
        EventRecord nothingToCut = new EventRecord(UUID.randomUUID(), EventType.OPEN, 0, 1_700_000_000_000_000L, ip("203.0.113.0"),
                null, new EventFields(CUT, UUID.randomUUID(), "c", "m", "e3", null, null, null), null, Map.of());
        EventRecord noAddress = event(DROP, EventType.CLICK, "e4", new byte[0]);
        EventRecord dropped = event(DROP, EventType.CLICK, "e5", ip("2001:db8::1"));
        PrivacyPolicy.Admitted a = policy.admit(List.of(counted, whole, truncated, nothingToCut, noAddress, dropped));
        assertEquals(5, a.stored().size());
        assertEquals(BitSet.valueOf(new long[] {0b10010}), a.cut(), "the truncated and the dropped ones, at 1 and 4");
        assertTrue(PrivacyPolicy.cut(dropped, policy.apply(dropped)));
        assertFalse(PrivacyPolicy.cut(whole, policy.apply(whole)));
        assertTrue(PrivacyPolicy.keepAll().admit(List.of(truncated)).cut().isEmpty(), "a policy that keeps everything cuts nothing");
    }

    @Test
    void anErasedRecipientIsHeldBackForTheHoldOnlyAndOnlyInItsTenant() throws Exception {
        erasures.add(KEEP, "gone", now.get());
        assertNull(policy.apply(event(KEEP, EventType.REPLIED, "gone", new byte[0])));
        EventRecord otherTenant = event(CUT, EventType.OPEN, "gone", new byte[0]);
        assertEquals(otherTenant.id(), policy.apply(otherTenant).id());
        EventRecord otherEmail = event(KEEP, EventType.OPEN, "stays", new byte[0]);
        assertSame(otherEmail, policy.apply(otherEmail));
        now.addAndGet(Duration.ofDays(7).toMillis());
        EventRecord late = event(KEEP, EventType.OPEN, "gone", new byte[0]);
        assertSame(late, policy.apply(late), "past the hold the list no longer applies");
    }

    /**
     * An event taken in before the erasure is held back however late a sink writes it (from a journal
     * that waited on a stopped node, or on a database out of reach for longer than the hold); one taken
     * in after the hold is stored. Before, the hold ran from when the sink wrote, and a journal drained
     * more than 7 days after an erasure stored the recipient's past events again.
     */
    @Test
    void anEventTakenInBeforeTheErasureIsHeldBackHoweverLateItIsWritten() {
        long erasedAt = now.get();
        erasures.add(KEEP, "gone", erasedAt);
        now.addAndGet(Duration.ofDays(10).toMillis());
        EventRecord fromTheJournal = received(KEEP, "gone", erasedAt - 60_000);
        assertNull(policy.apply(fromTheJournal), "taken in a minute before the erasure, written 10 days after");
        EventRecord fresh = received(KEEP, "gone", now.get() - 1000);
        assertSame(fresh, policy.apply(fresh), "taken in after the hold: a new event");
    }

    private static EventRecord received(UUID tenant, String email, long receivedAtMillis) {
        return new EventRecord(UUID.randomUUID(), EventType.OPEN, 0, receivedAtMillis * 1000, new byte[0], "Mozilla/5.0 (X11)",
                new EventFields(tenant, UUID.randomUUID(), "c", "m", email, null, null, null), null, Map.of(), receivedAtMillis * 1000);
    }

    @Test
    void settingsRefuseANonPositiveHold() {
        assertThrows(IllegalArgumentException.class,
                () -> new PrivacySettings(TenantPrivacy.KEEP_ALL, Map.of(), Duration.ZERO));
    }

    @Test
    void theRecipientHashIsSha256OfTenantNewlineEmailId() {
        // printf '00000000-0000-4000-8000-000000000001\ngone' | sha256sum
        assertEquals("d404767d999b636050049675642e1538eb9583b8460ff04e3cbfc78194c0a9fb", RecipientHash.hex(KEEP, "gone"));
    }
}
