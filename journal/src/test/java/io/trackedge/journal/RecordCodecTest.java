package io.trackedge.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RecordCodecTest {

    /** Offset of the IP length byte in a version-2 payload: after version, type, flags, id, occurred-at, received-at. */
    private static final int IP_LENGTH_AT = 3 + 16 + 8 + 8;
    /** Where received-at sits in a version-2 payload (and where the IP length sits in a version-1 one). */
    private static final int RECEIVED_AT = 3 + 16 + 8;

    private final Random rnd = new Random(51);

    @Test
    void version2IsWrittenWithTheReceivedTimeAfterTheOccurredTime() {
        UUID clientId = UUID.fromString("0190b7a0-0000-7000-8000-000000000001");
        long occurred = 1_700_000_000_123_456L;
        long received = 1_764_500_000_654_321L;
        EventSpec s = new EventSpec(7, clientId, EventType.SENT, 0, occurred, new byte[0], "",
                new EventFields(UUID.randomUUID(), UUID.randomUUID(), "c", "m", "e7", null, null, null), null,
                Map.of(Attributes.ID_SOURCE, Attributes.ID_SOURCE_CLIENT), received);
        byte[] payload = s.encode();
        assertEquals(2, payload[0], "record version");
        ByteBuffer b = ByteBuffer.wrap(payload);
        assertEquals(occurred, b.getLong(RECEIVED_AT - 8), "occurred-at");
        assertEquals(received, b.getLong(RECEIVED_AT), "received-at right after occurred-at");
        EventRecord r = RecordCodec.decode(payload, 0, payload.length);
        s.assertMatches(r);
        assertEquals(received, r.receivedAtMicros(), "neither the id's time nor the occurred-at");
    }

    @Test
    void aVersion1RecordStillDecodesWithItsReceivedTimeTakenFromTheUuid7OrTheOccurredTime() {
        long occurred = 1_700_000_000_123_456L;
        // UUIDv7: 48-bit Unix milliseconds, version 7. The id: 0x0190b7a00000 ms.
        UUID v7 = UUID.fromString("0190b7a0-0000-7000-8000-000000000001");
        UUID v4 = UUID.fromString("6f1c2d3e-4a5b-4c6d-8e7f-8091a2b3c4d5");
        EventFields f = new EventFields(UUID.randomUUID(), UUID.randomUUID(), "camp", "box@example.com", "e1",
                "lead", null, null);
        byte[] ip = {10, 0, 0, 7};
        Map<String, String> attributes = Map.of(Attributes.BOUNCE_TYPE, "hard");

        byte[] withV7 = version1(v7, EventType.BOUNCED, EventRecord.FLAG_MACHINE, occurred, ip, "UA/1", f, null, attributes);
        EventRecord r = RecordCodec.decode(withV7, 0, withV7.length);
        assertEquals(0x0190b7a00000L * 1000, r.receivedAtMicros(), "a v7 id: its timestamp");
        assertEquals(v7, r.id());
        assertEquals(EventType.BOUNCED, r.type());
        assertEquals(EventRecord.FLAG_MACHINE, r.flags());
        assertEquals(occurred, r.occurredAtMicros());
        assertArrayEquals(ip, r.ip());
        assertEquals("UA/1", r.userAgent());
        assertEquals(f, r.fields());
        assertEquals(null, r.url());
        assertEquals(attributes, r.attributes());

        byte[] withV4 = version1(v4, EventType.CLICK, 0, occurred, new byte[0], "", f, "https://example.com/x", Map.of());
        EventRecord r4 = RecordCodec.decode(withV4, 0, withV4.length);
        assertEquals(occurred, r4.receivedAtMicros(), "not a v7 id: the occurred-at");
        assertEquals("https://example.com/x", r4.url());

        // Version-1 lengths are checked as strictly as version-2 ones.
        byte[] longer = Arrays.copyOf(withV4, withV4.length + 8);
        assertThrows(CorruptRecordException.class, () -> RecordCodec.decode(withV4, 0, withV4.length - 1));
        assertThrows(CorruptRecordException.class, () -> RecordCodec.decode(longer, 0, longer.length));
    }

    @Test
    void everyRandomVersion1RecordDecodesToWhatItHolds() {
        for (int i = 0; i < 500; i++) {
            EventSpec s = EventSpec.random(i, rnd);
            byte[] p = version1(s.id(), s.type(), s.flags(), s.micros(), s.ip(), s.userAgent(), s.fields(), s.url(),
                    s.attributes());
            EventRecord r = RecordCodec.decode(p, 0, p.length);
            new EventSpec(s.n(), s.id(), s.type(), s.flags(), s.micros(), s.ip(), s.userAgent(), s.fields(), s.url(),
                    s.attributes(), RecordCodec.receivedAtOfVersion1(s.id(), s.micros())).assertMatches(r);
        }
    }

    /**
     * A version-1 payload as edges before version 2 wrote it, built field by field here rather
     * than by the codec under test, so that the old layout is pinned on its own.
     */
    static byte[] version1(UUID id, EventType type, int flags, long occurredAtMicros, byte[] ip, String ua,
                           EventFields fields, String url, Map<String, String> attributes) {
        byte[] uaBytes = ua.getBytes(StandardCharsets.UTF_8);
        byte[] f = FieldsCodec.encode(fields);
        byte[] u = url == null ? new byte[0] : url.getBytes(StandardCharsets.UTF_8);
        byte[] ext = RecordCodec.encodeAttributes(attributes);
        ByteBuffer b = ByteBuffer.allocate(3 + 16 + 8 + 1 + ip.length + 2 + uaBytes.length + 2 + f.length + 2 + u.length
                + 2 + ext.length);
        b.put((byte) 1).put((byte) type.code()).put((byte) flags);
        b.putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits()).putLong(occurredAtMicros);
        b.put((byte) ip.length).put(ip);
        b.putShort((short) uaBytes.length).put(uaBytes);
        b.putShort((short) f.length).put(f);
        b.putShort((short) u.length).put(u);
        b.putShort((short) ext.length).put(ext);
        assertEquals(b.capacity(), b.position());
        return b.array();
    }

    @Test
    void encodedEventsDecodeToTheSameValuesAtAnyOffset() {
        for (int i = 0; i < 2000; i++) {
            EventSpec s = EventSpec.random(i, rnd);
            byte[] payload = s.encode();
            int off = rnd.nextInt(16);
            byte[] framed = new byte[off + payload.length + rnd.nextInt(16)];
            rnd.nextBytes(framed);
            System.arraycopy(payload, 0, framed, off, payload.length);
            s.assertMatches(RecordCodec.decode(framed, off, payload.length));
        }
    }

    @Test
    void aPayloadOneByteShortOrLongIsCorrupt() {
        for (int i = 0; i < 200; i++) {
            byte[] payload = EventSpec.random(i, rnd).encode();
            byte[] longer = Arrays.copyOf(payload, payload.length + 1);
            assertThrows(CorruptRecordException.class, () -> RecordCodec.decode(payload, 0, payload.length - 1));
            assertThrows(CorruptRecordException.class, () -> RecordCodec.decode(longer, 0, longer.length));
        }
    }

    @Test
    void unknownVersionAndTypeAreCorrupt() {
        byte[] payload = EventSpec.random(0, rnd).encode();
        for (int version : new int[] {0, 3, 255}) {
            byte[] v = payload.clone();
            v[0] = (byte) version;
            assertThrows(CorruptRecordException.class, () -> RecordCodec.decode(v, 0, v.length), "version " + version);
        }
        for (int code : new int[] {0, 11, 15, 16, 255}) {
            byte[] t = payload.clone();
            t[1] = (byte) code;
            assertThrows(CorruptRecordException.class, () -> RecordCodec.decode(t, 0, t.length), "type code " + code);
        }
        assertThrows(CorruptRecordException.class, () -> RecordCodec.decode(new byte[0], 0, 0));
    }

    /** Random bytes, and valid records with random damage: a decode either succeeds or throws CorruptRecordException. */
    @Test
    void garbageIsOnlyEverCorruptRecordException() {
        int decoded = 0;
        int corrupt = 0;
        byte[][] valid = new byte[64][];
        for (int i = 0; i < valid.length; i++) {
            valid[i] = EventSpec.random(i, rnd).encode();
        }
        for (int i = 0; i < 200_000; i++) {
            byte[] buf;
            int off;
            int len;
            switch (i % 4) {
                case 0 -> {
                    // Pure noise, with a plausible version and type byte half of the time.
                    len = rnd.nextInt(200);
                    off = rnd.nextInt(8);
                    buf = new byte[off + len + rnd.nextInt(300)];
                    rnd.nextBytes(buf);
                    if (len >= 2 && rnd.nextBoolean()) {
                        buf[off] = (byte) (1 + rnd.nextInt(2));
                        buf[off + 1] = (byte) (1 + rnd.nextInt(10));
                    }
                }
                case 1 -> {
                    // A valid record with a few bytes flipped; room after it so lengths can point past the payload.
                    byte[] p = valid[rnd.nextInt(valid.length)];
                    buf = Arrays.copyOf(p, p.length + rnd.nextInt(4096));
                    for (int t = p.length; t < buf.length; t++) {
                        buf[t] = (byte) rnd.nextInt();
                    }
                    for (int f = 1 + rnd.nextInt(4); f > 0; f--) {
                        buf[rnd.nextInt(p.length)] ^= (byte) (1 << rnd.nextInt(8));
                    }
                    off = 0;
                    len = p.length;
                }
                case 2 -> {
                    // A valid record cut short or given extra bytes.
                    byte[] p = valid[rnd.nextInt(valid.length)];
                    buf = Arrays.copyOf(p, p.length + 64);
                    off = 0;
                    len = Math.max(0, p.length + rnd.nextInt(129) - 64);
                }
                default -> {
                    // One length field (UA, fields, URL or ext) replaced by a random value.
                    byte[] p = valid[rnd.nextInt(valid.length)];
                    buf = Arrays.copyOf(p, p.length + 70_000);
                    int ipLen = p[IP_LENGTH_AT] & 0xFF;
                    int at = IP_LENGTH_AT + 1 + ipLen;
                    int hops = rnd.nextInt(4);
                    for (int h = 0; h < hops; h++) {
                        at += 2 + (((p[at] & 0xFF) << 8) | (p[at + 1] & 0xFF));
                    }
                    int v = rnd.nextInt(65536);
                    buf[at] = (byte) (v >> 8);
                    buf[at + 1] = (byte) v;
                    off = 0;
                    len = p.length;
                }
            }
            try {
                RecordCodec.decode(buf, off, len);
                decoded++;
            } catch (CorruptRecordException e) {
                corrupt++;
            } catch (RuntimeException e) {
                fail("case " + (i % 4) + " threw " + e + " instead of CorruptRecordException for "
                        + Arrays.toString(Arrays.copyOfRange(buf, off, Math.min(buf.length, off + len))), e);
            }
        }
        assertEquals(200_000, decoded + corrupt);
        if (corrupt < 50_000) {
            fail("most garbage should be refused; refused only " + corrupt);
        }
    }
}
