package io.trackedge.journal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The journal record payload, version 2 (all integers big-endian):
 *
 * <pre>
 *   u8   record version (2)
 *   u8   event type code ({@link EventType})
 *   u8   flags ({@link EventRecord} FLAG_*)
 *   u64  event id, most significant half (UUIDv7 when the edge made it; ingest clients may choose any UUID)
 *   u64  event id, least significant half
 *   i64  occurred at, microseconds since the epoch (for ingest events: the client's occurred_at)
 *   i64  received at, microseconds since the epoch: when this edge took the event in   [version 2 only]
 *   u8   IP length (0, 4 or 16), then the address bytes
 *   u16  user agent length, then UTF-8 bytes
 *   u16  fields length, then a {@link FieldsCodec} block
 *   u16  URL length, then UTF-8 bytes (clicks; 0 otherwise)
 *   u16  ext length, then attributes: u8 count, then count x (str8 key, str16 value)
 * </pre>
 *
 * Version 1 is the same without {@code received at}. It still decodes: its received-at is taken
 * from the id's UUIDv7 timestamp when the id is version 7, else it is the occurred-at. (Good for
 * the edge's own events, whose id the edge made at the moment it took them in; for an ingest event
 * journaled before version 2 the id and time are the client's, the best there is.) Only version 2
 * is written.
 *
 * <p>Why a received-at: how long an event has waited in the journal (a sink's lag limit) must not
 * depend on values a client chose, and ingest clients choose both the id and the occurred-at.
 *
 * <p>Framing (length and checksum) is the segment's job, not this codec's.
 */
public final class RecordCodec {

    /** The version {@link #encode} writes. */
    public static final int VERSION = 2;
    /** The previous version, still read: no received-at. */
    static final int VERSION_1 = 1;
    static final int FIXED_SIZE = 3 + 8 + 8 + 8 + 8 + 1 + 2 + 2 + 2 + 2;

    private RecordCodec() {
    }

    /** Writes {@code e} at the buffer's position; the caller ensures room via {@link MutableEvent#encodedSizeBound}. */
    public static void encode(MutableEvent e, ByteBuffer out) {
        out.put((byte) VERSION).put((byte) e.type()).put((byte) e.flags());
        out.putLong(e.idMsb()).putLong(e.idLsb()).putLong(e.occurredAtMicros()).putLong(e.receivedAtMicros());
        out.put((byte) e.ipLength()).put(e.ipBytes(), 0, e.ipLength());
        out.putShort((short) e.userAgentLength()).put(e.userAgentBytes(), 0, e.userAgentLength());
        out.putShort((short) e.fieldsLength()).put(e.fieldsBytes(), 0, e.fieldsLength());
        out.putShort((short) e.urlLength()).put(e.urlBytes(), 0, e.urlLength());
        out.putShort((short) e.extLength()).put(e.extBytes(), 0, e.extLength());
    }

    /**
     * Decodes one payload, of version 2 or 1.
     *
     * @throws CorruptRecordException when the payload is not a well-formed record of either version
     */
    public static EventRecord decode(byte[] p, int off, int len) {
        try {
            ByteBuffer b = ByteBuffer.wrap(p, off, len);
            int version = b.get() & 0xFF;
            if (version != VERSION && version != VERSION_1) {
                throw new CorruptRecordException("unknown record version " + version);
            }
            EventType type = EventType.ofCode(b.get() & 0xFF);
            if (type == null) {
                throw new CorruptRecordException("unknown event type code " + (p[off + 1] & 0xFF));
            }
            int flags = b.get() & 0xFF;
            UUID id = new UUID(b.getLong(), b.getLong());
            long micros = b.getLong();
            long received = version == VERSION ? b.getLong() : receivedAtOfVersion1(id, micros);
            byte[] ip = new byte[b.get() & 0xFF];
            b.get(ip);
            String ua = utf8(b, b.getShort() & 0xFFFF);
            int fieldsLength = b.getShort() & 0xFFFF;
            int fieldsAt = b.position();
            if (FieldsCodec.check(p, fieldsAt, fieldsLength) < 0) {
                throw new CorruptRecordException("malformed fields block");
            }
            EventFields fields = FieldsCodec.decode(p, fieldsAt, fieldsLength);
            b.position(fieldsAt + fieldsLength);
            int urlLength = b.getShort() & 0xFFFF;
            String url = urlLength == 0 ? null : utf8(b, urlLength);
            int extLength = b.getShort() & 0xFFFF;
            int extEnd = b.position() + extLength;
            Map<String, String> attributes = extLength == 0 ? Map.of() : attributes(b);
            if (b.position() != extEnd || extEnd != off + len) {
                throw new CorruptRecordException("record length mismatch");
            }
            return new EventRecord(id, type, flags, micros, ip, ua, fields, url, attributes, received);
        } catch (java.nio.BufferUnderflowException | IndexOutOfBoundsException | IllegalArgumentException e) {
            throw new CorruptRecordException("truncated record: " + e);
        }
    }

    /** The received-at a version-1 record stands for (see the class comment). */
    static long receivedAtOfVersion1(UUID id, long occurredAtMicros) {
        if (id.version() == 7) {
            return (id.getMostSignificantBits() >>> 16) * 1000;
        }
        return occurredAtMicros;
    }

    private static Map<String, String> attributes(ByteBuffer b) {
        int count = b.get() & 0xFF;
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            String k = utf8(b, b.get() & 0xFF);
            String v = utf8(b, b.getShort() & 0xFFFF);
            m.put(k, v);
        }
        return m;
    }

    private static String utf8(ByteBuffer b, int n) {
        String s = new String(b.array(), b.position(), n, StandardCharsets.UTF_8);
        b.position(b.position() + n);
        return s;
    }

    /** Encodes attributes into the ext block format. */
    public static byte[] encodeAttributes(Map<String, String> attributes) {
        if (attributes.isEmpty()) {
            return new byte[0];
        }
        if (attributes.size() > 255) {
            throw new IllegalArgumentException("at most 255 attributes");
        }
        byte[][] kv = new byte[attributes.size() * 2][];
        int size = 1;
        int i = 0;
        for (Map.Entry<String, String> e : attributes.entrySet()) {
            byte[] k = e.getKey().getBytes(StandardCharsets.UTF_8);
            byte[] v = e.getValue().getBytes(StandardCharsets.UTF_8);
            size += 3 + k.length + v.length;
            if (k.length > 255 || v.length > 65535 || size > MutableEvent.MAX_EXT) {
                throw new IllegalArgumentException("attribute too large: " + e.getKey());
            }
            kv[i++] = k;
            kv[i++] = v;
        }
        ByteBuffer b = ByteBuffer.allocate(size); // exactly: the ingest API encodes one block per event
        b.put((byte) attributes.size());
        for (int j = 0; j < kv.length; j += 2) {
            b.put((byte) kv[j].length).put(kv[j]).putShort((short) kv[j + 1].length).put(kv[j + 1]);
        }
        return b.array();
    }
}
