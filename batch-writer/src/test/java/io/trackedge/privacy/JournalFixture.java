package io.trackedge.privacy;

import io.trackedge.journal.Attributes;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventType;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.MutableEvent;
import io.trackedge.journal.RecordCodec;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/** Writes chosen events into a journal as the edge would (the tests read what the sinks made of them). */
final class JournalFixture {

    static final String FULL_V4 = "203.0.113.77";
    static final String FULL_V6 = "2001:db8:1234:5678:9abc:def0:1234:5678";
    static final String UA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) PrivacyFixture/1.0";

    private final MutableEvent event = new MutableEvent();
    private final JournalWriter writer;

    JournalFixture(JournalWriter writer) {
        this.writer = writer;
    }

    static UUID v7() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return new UUID((System.currentTimeMillis() << 16) | 0x7000L | (r.nextLong() & 0xFFFL),
                (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L);
    }

    static byte[] ip(String s) {
        try {
            return InetAddress.getByName(s).getAddress();
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    /** Stages one event of {@code email} (opens and clicks from {@code ip}); returns its id. */
    UUID append(UUID tenant, UUID user, EventType type, String email, String ip) {
        return append(v7(), tenant, user, type, email, ip);
    }

    /** As {@link #append(UUID, UUID, EventType, String, String)}, with the event's id given: a client's retry. */
    UUID append(UUID id, UUID tenant, UUID user, EventType type, String email, String ip) {
        prepare(id, tenant, user, type, email, ip);
        if (!writer.tryAppend(event)) {
            throw new IllegalStateException("journal full");
        }
        return id;
    }

    /**
     * Stages a one-click unsubscribe as the edge journals it: a client-chosen id (the token's), the request's
     * address, and the one-click mark unless {@code marked} is false (as an edge older than the mark wrote it).
     */
    UUID oneClick(UUID id, UUID tenant, UUID user, String email, String ip, boolean marked) {
        prepare(id, tenant, user, EventType.UNSUBSCRIBED, email, ip);
        Map<String, String> attributes = new HashMap<>();
        attributes.put(Attributes.ID_SOURCE, Attributes.ID_SOURCE_CLIENT);
        if (marked) {
            attributes.put(Attributes.ONE_CLICK, Attributes.ONE_CLICK_YES);
        }
        byte[] ext = RecordCodec.encodeAttributes(attributes);
        event.ext(ext, 0, ext.length);
        if (!writer.tryAppend(event)) {
            throw new IllegalStateException("journal full");
        }
        return id;
    }

    /** The journal record (payload) of one such event, as bad_events keeps it. */
    byte[] record(UUID tenant, UUID user, EventType type, String email, String ip) {
        prepare(v7(), tenant, user, type, email, ip);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(event.encodedSizeBound());
        RecordCodec.encode(event, b);
        return java.util.Arrays.copyOf(b.array(), b.position());
    }

    private void prepare(UUID id, UUID tenant, UUID user, EventType type, String email, String ip) {
        long now = System.currentTimeMillis() * 1000;
        event.reset(type, id.getMostSignificantBits(), id.getLeastSignificantBits(), now, now);
        EventFields f = new EventFields(tenant, user, "camp-1", "mbox-1", email, "lead-" + email, "step-1", null);
        byte[] block = FieldsCodec.encode(f);
        event.fields(block, 0, block.length);
        if (ip != null) {
            byte[] a = ip(ip);
            event.ip(a, a.length);
        }
        event.userAgent(UA + " from " + ip); // a leak of the user agent is a leak of the address too
        Map<String, String> attributes = new HashMap<>();
        if (type == EventType.CLICK) {
            byte[] u = ("https://example.com/landing?r=" + email).getBytes(StandardCharsets.UTF_8);
            event.url(u, 0, u.length);
        }
        if (type == EventType.BOUNCED) {
            attributes.put(Attributes.BOUNCE_TYPE, "hard");
            attributes.put(Attributes.BOUNCE_REASON, "550 no such user");
        }
        if (type == EventType.REPLIED) {
            attributes.put(Attributes.MESSAGE_ID, "<reply-" + email + "@example.com>");
        }
        if (!type.isWarmup() && type != EventType.OPEN && type != EventType.CLICK) {
            attributes.put(Attributes.ID_SOURCE, Attributes.ID_SOURCE_CLIENT); // as the ingest API marks client ids
        }
        byte[] ext = RecordCodec.encodeAttributes(attributes);
        event.ext(ext, 0, ext.length);
    }

    /** Every per-recipient kind of event of one email, flushed. */
    void recipient(UUID tenant, UUID user, String email, String ip) {
        for (EventType t : new EventType[] {EventType.SENT, EventType.DELIVERED, EventType.OPEN, EventType.OPEN,
                EventType.CLICK, EventType.BOUNCED, EventType.REPLIED, EventType.UNSUBSCRIBED}) {
            append(tenant, user, t, email, t == EventType.OPEN || t == EventType.CLICK ? ip : null);
        }
        writer.flush();
    }
}
