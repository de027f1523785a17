package io.trackedge.sink.testing;

import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventType;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.MutableEvent;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Appends hand-made events to a journal, one sender (user, campaign "camp", mailbox "mbox", step
 * "step-1", lead "lead-" + email) per tenant, ids shaped as the edge's. Not thread-safe.
 */
public final class TestEvents {

    public static final UUID USER = UUID.fromString("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa");
    public static final String FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";

    private final JournalWriter journal;
    private final JournalIds ids = new JournalIds();
    private final MutableEvent event = new MutableEvent();

    public TestEvents(JournalWriter journal) {
        this.journal = journal;
    }

    /**
     * One event of {@code tenant}'s {@code email} that occurred at {@code atMicros}; {@code ip} and
     * {@code userAgent} may be null; a click goes to https://a.example/landing. Returns its id.
     */
    public UUID append(EventType type, UUID tenant, String email, long atMicros, String ip, String userAgent) {
        return append(type, tenant, email, atMicros, ip, userAgent, type == EventType.CLICK ? "https://a.example/landing" : null);
    }

    /** A click of {@code tenant}'s {@code email} on {@code url}, as {@link #append} otherwise. */
    public UUID appendClick(UUID tenant, String email, long atMicros, String ip, String userAgent, String url) {
        return append(EventType.CLICK, tenant, email, atMicros, ip, userAgent, url);
    }

    private UUID append(EventType type, UUID tenant, String email, long atMicros, String ip, String userAgent, String link) {
        UUID id = new UUID(ids.next(atMicros / 1000), ThreadLocalRandom.current().nextLong() & 0x3FFFFFFFFFFFFFFFL | 0x8000000000000000L);
        event.reset(type, id.getMostSignificantBits(), id.getLeastSignificantBits(), atMicros);
        byte[] block = FieldsCodec.encode(new EventFields(tenant, USER, "camp", "mbox", email, "lead-" + email, "step-1", null));
        event.fields(block, 0, block.length);
        if (ip != null) {
            try {
                byte[] address = InetAddress.getByName(ip).getAddress();
                event.ip(address, address.length);
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("not an address literal: " + ip, e);
            }
        }
        if (userAgent != null) {
            event.userAgent(userAgent);
        }
        if (link != null) {
            byte[] url = link.getBytes(StandardCharsets.UTF_8);
            event.url(url, 0, url.length);
        }
        if (!journal.tryAppend(event)) {
            throw new IllegalStateException("the test journal is full");
        }
        return id;
    }
}
