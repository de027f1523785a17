package io.trackedge.privacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.journal.MutableEvent;
import io.trackedge.journal.RecordCodec;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A set-aside record is cut as its tenant keeps addresses and user agents, and only there. */
class RecordRedactionTest {

    private static final UUID KEEP = UUID.fromString("00000000-0000-4000-8000-00000000000a");
    private static final UUID CUT = UUID.fromString("00000000-0000-4000-8000-00000000000b");
    private static final UUID DROP = UUID.fromString("00000000-0000-4000-8000-00000000000c");
    private static final UUID AGG = UUID.fromString("00000000-0000-4000-8000-00000000000d");

    private final PrivacyPolicy policy = new PrivacyPolicy(new PrivacySettings(TenantPrivacy.KEEP_ALL, Map.of(
            CUT, new TenantPrivacy(IpMode.TRUNCATE, false, false),
            DROP, new TenantPrivacy(IpMode.DROP, true, false),
            AGG, new TenantPrivacy(IpMode.TRUNCATE, true, true)), Duration.ofDays(7)), ErasureList.empty(), () -> 0L);

    private static byte[] record(UUID tenant, String ip) throws Exception {
        MutableEvent e = new MutableEvent();
        e.reset(EventType.CLICK, 0x0190_0000_0000_7123L, 0x8000_0000_0000_0001L, 1_700_000_000_000_000L, 1_700_000_000_000_001L);
        e.flags(EventRecord.FLAG_UA_CUT);
        byte[] a = InetAddress.getByName(ip).getAddress();
        e.ip(a, a.length);
        e.userAgent("Mozilla/5.0 (Macintosh) Mail/16.0");
        byte[] f = FieldsCodec.encode(new EventFields(tenant, UUID.randomUUID(), "camp", "mbox", "email-1", "lead", "step", null));
        e.fields(f, 0, f.length);
        byte[] url = "https://example.com/p?x=1".getBytes(StandardCharsets.UTF_8);
        e.url(url, 0, url.length);
        byte[] ext = RecordCodec.encodeAttributes(new LinkedHashMap<>(Map.of("note", "kept")));
        e.ext(ext, 0, ext.length);
        ByteBuffer b = ByteBuffer.allocate(e.encodedSizeBound());
        RecordCodec.encode(e, b);
        return Arrays.copyOf(b.array(), b.position());
    }

    private EventRecord redacted(byte[] raw) {
        EventRecord before = RecordCodec.decode(raw, 0, raw.length);
        byte[] out = policy.redactRecord(raw, before);
        EventRecord after = RecordCodec.decode(out, 0, out.length);
        // everything but the address, the user agent and its cut flag is as it was
        assertEquals(before.id(), after.id());
        assertEquals(before.type(), after.type());
        assertEquals(before.occurredAtMicros(), after.occurredAtMicros());
        assertEquals(before.receivedAtMicros(), after.receivedAtMicros());
        assertEquals(before.fields(), after.fields());
        assertEquals(before.url(), after.url());
        assertEquals(before.attributes(), after.attributes());
        assertEquals(policy.redact(before).ip().length, after.ip().length);
        return after;
    }

    @Test
    void aTruncatingTenantsRecordKeepsTheNetworkAndLosesTheUserAgent() throws Exception {
        EventRecord v4 = redacted(record(CUT, "203.0.113.77"));
        assertArrayEquals(InetAddress.getByName("203.0.113.0").getAddress(), v4.ip());
        assertEquals("", v4.userAgent());
        assertEquals(0, v4.flags() & EventRecord.FLAG_UA_CUT);
        EventRecord v6 = redacted(record(CUT, "2001:db8:1234:5678:9abc::1"));
        assertArrayEquals(InetAddress.getByName("2001:db8:1234::").getAddress(), v6.ip());
    }

    @Test
    void aVersionOneRecordWithoutReceivedAtIsCutAtItsOwnOffsets() throws Exception {
        byte[] v2 = record(CUT, "203.0.113.77");
        byte[] v1 = new byte[v2.length - 8];
        System.arraycopy(v2, 0, v1, 0, 27); // version, type, flags, id, occurred at
        System.arraycopy(v2, 35, v1, 27, v2.length - 35); // without received at
        v1[0] = 1;
        assertArrayEquals(InetAddress.getByName("203.0.113.0").getAddress(), redacted(v1).ip());
    }

    @Test
    void aDroppingTenantsRecordHasNoAddressAndKeepsItsUserAgentByteForByte() throws Exception {
        EventRecord e = redacted(record(DROP, "198.51.100.9"));
        assertEquals(0, e.ip().length);
        assertEquals("Mozilla/5.0 (Macintosh) Mail/16.0", e.userAgent());
        assertEquals(EventRecord.FLAG_UA_CUT, e.flags() & EventRecord.FLAG_UA_CUT);
    }

    @Test
    void anAggregateOnlyTenantsRecordFollowsItsAddressRulesAndAKeepingTenantsIsUntouched() throws Exception {
        assertArrayEquals(InetAddress.getByName("192.0.2.0").getAddress(), redacted(record(AGG, "192.0.2.55")).ip());
        byte[] kept = record(KEEP, "192.0.2.55");
        assertSame(kept, policy.redactRecord(kept, RecordCodec.decode(kept, 0, kept.length)));
    }
}
