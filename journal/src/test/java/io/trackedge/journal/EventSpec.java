package io.trackedge.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/**
 * The inputs of one test event, kept so that what the journal hands back can be compared with what
 * went in. Event {@code n} carries {@code e<n>} as its email id, so a read-back record says which
 * event it is.
 */
record EventSpec(int n, UUID id, EventType type, int flags, long micros, byte[] ip, String userAgent,
                 EventFields fields, String url, Map<String, String> attributes, long receivedMicros) {

    private static final EventType[] TYPES = EventType.values();

    /** Varied content: with and without IP, user agent (some non-ASCII), lead/step, URL and attributes. */
    static EventSpec random(int n, Random rnd) {
        return random(n, rnd, rnd.nextInt(8) == 0 ? 1 + rnd.nextInt(3000) : 0);
    }

    /** Like {@link #random(int, Random)} with an attribute of about {@code extBytes} bytes (0: none forced). */
    static EventSpec random(int n, Random rnd, int extBytes) {
        UUID id = new UUID(rnd.nextLong(), rnd.nextLong());
        EventType type = TYPES[rnd.nextInt(TYPES.length)];
        int flags = rnd.nextInt(8);
        long micros = 1_700_000_000_000_000L + rnd.nextInt(1 << 30);
        byte[] ip = switch (rnd.nextInt(3)) {
            case 0 -> new byte[0];
            case 1 -> bytes(rnd, 4);
            default -> bytes(rnd, 16);
        };
        String ua = switch (rnd.nextInt(4)) {
            case 0 -> "";
            case 1 -> ascii(rnd, 1 + rnd.nextInt(MutableEvent.MAX_USER_AGENT));
            case 2 -> "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Gécko \uD83D\uDCE7 " + ascii(rnd, rnd.nextInt(100));
            default -> "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)";
        };
        EventFields fields = new EventFields(new UUID(rnd.nextLong(), rnd.nextLong()), new UUID(rnd.nextLong(), rnd.nextLong()),
                "campaign-" + rnd.nextInt(1000), "mailbox-" + rnd.nextInt(50) + "@example.com", "e" + n,
                rnd.nextBoolean() ? "lead-" + rnd.nextInt(1_000_000) : null,
                rnd.nextBoolean() ? "step-" + rnd.nextInt(10) : null,
                rnd.nextInt(4) == 0 ? "https://example.com/inline/" + ascii(rnd, rnd.nextInt(200)) : null);
        String url = rnd.nextBoolean() ? null : "https://example.com/landing?ref=" + ascii(rnd, rnd.nextInt(1500));
        Map<String, String> attributes = new LinkedHashMap<>();
        if (extBytes > 0) {
            attributes.put("blob", ascii(rnd, Math.min(extBytes, MutableEvent.MAX_EXT - 16)));
        } else if (rnd.nextBoolean()) {
            attributes.put("bounce_type", "hard");
            attributes.put("reason", "550 5.1.1 mailbox unavailable (é)");
            if (rnd.nextBoolean()) {
                attributes.put("message_id", "<" + rnd.nextLong() + "@mx.example.com>");
            }
        }
        // Ingest events may claim any time: received-at is independent of occurred-at, either side of it.
        long received = rnd.nextBoolean() ? micros : 1_700_000_000_000_000L + rnd.nextInt(1 << 30);
        return new EventSpec(n, id, type, flags, micros, ip, ua, fields, url, Map.copyOf(attributes), received);
    }

    static List<EventSpec> randomList(int from, int count, Random rnd) {
        List<EventSpec> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(random(from + i, rnd));
        }
        return out;
    }

    /** Fills a (reused) event the way the edge fills a ring slot. */
    MutableEvent fill(MutableEvent e) {
        e.reset(type, id.getMostSignificantBits(), id.getLeastSignificantBits(), micros, receivedMicros);
        e.flags(flags);
        e.ip(ip, ip.length);
        boolean cut = e.userAgent(userAgent);
        assertEquals(false, cut, "test user agents fit");
        byte[] f = FieldsCodec.encode(fields);
        e.fields(f, 0, f.length);
        if (url != null) {
            byte[] u = url.getBytes(StandardCharsets.UTF_8);
            e.url(u, 0, u.length);
        }
        byte[] ext = RecordCodec.encodeAttributes(attributes);
        e.ext(ext, 0, ext.length);
        return e;
    }

    /** The payload bytes {@link RecordCodec#encode} makes for this event. */
    byte[] encode() {
        MutableEvent e = fill(new MutableEvent());
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(e.encodedSizeBound());
        RecordCodec.encode(e, b);
        assertEquals(b.capacity(), b.position(), "encodedSizeBound is exact for this codec");
        return b.array();
    }

    void assertMatches(EventRecord r) {
        assertEquals(id, r.id(), "id of e" + n);
        assertEquals(type, r.type(), "type of e" + n);
        assertEquals(flags, r.flags(), "flags of e" + n);
        assertEquals(micros, r.occurredAtMicros(), "time of e" + n);
        assertEquals(receivedMicros, r.receivedAtMicros(), "received-at of e" + n);
        assertArrayEquals(ip, r.ip(), "ip of e" + n);
        assertEquals(userAgent, r.userAgent(), "user agent of e" + n);
        assertEquals(fields, r.fields(), "fields of e" + n);
        assertEquals(url, r.url(), "url of e" + n);
        assertEquals(attributes, r.attributes(), "attributes of e" + n);
    }

    /** Which event a decoded record is, from its email id. */
    static int indexOf(EventRecord r) {
        return Integer.parseInt(r.fields().email().substring(1));
    }

    private static byte[] bytes(Random rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~";

    static String ascii(Random rnd, int n) {
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append(ALPHABET.charAt(rnd.nextInt(ALPHABET.length())));
        }
        return sb.toString();
    }
}
