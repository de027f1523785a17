package io.trackedge.sink.testing;

import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.MutableEvent;
import java.util.Random;
import java.util.UUID;

/**
 * Appends realistic events straight into a journal (no HTTP), for sink tests: a few tenants and
 * users, repeated opens and clicks of the same emails, some machine (HEAD) opens.
 */
public final class SyntheticEvents {

    private static final UUID[] TENANTS = {
        UUID.fromString("11111111-1111-4111-8111-111111111111"),
        UUID.fromString("22222222-2222-4222-8222-222222222222"),
        UUID.fromString("33333333-3333-4333-8333-333333333333")};
    private static final UUID[] USERS = {
        UUID.fromString("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"),
        UUID.fromString("bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb")};

    private final Random random;
    private final int emails;
    private final MutableEvent event = new MutableEvent();
    private final JournalIds ids = new JournalIds();

    /** @param emails how many distinct emails events are spread over */
    public SyntheticEvents(long seed, int emails) {
        this.random = new Random(seed);
        this.emails = emails;
    }

    /** Stages one event (the caller flushes) and returns its type. */
    public EventType append(JournalWriter writer) {
        int e = random.nextInt(emails);
        UUID tenant = TENANTS[e % TENANTS.length];
        UUID user = USERS[e % USERS.length];
        EventFields f = new EventFields(tenant, user, "camp-" + (e % 5), "mbox-" + (e % 3), "email-" + e,
                "lead-" + e, "step-" + (e % 4), null);
        int r = random.nextInt(100);
        EventType type = r < 70 ? EventType.OPEN : EventType.CLICK;
        long now = System.currentTimeMillis();
        // ids sort in journal order, as the edge's do, however many events share a millisecond
        event.reset(type, ids.next(now), random.nextLong() & 0x3FFFFFFFFFFFFFFFL | 0x8000000000000000L, now * 1000);
        byte[] block = FieldsCodec.encode(f);
        event.fields(block, 0, block.length);
        event.ip(new byte[] {10, 0, (byte) (e >> 8), (byte) e}, 4);
        event.userAgent(r % 10 == 0 ? "GoogleImageProxy" : "Mozilla/5.0 (test)");
        event.flags(r % 10 == 0 ? EventRecord.FLAG_HEAD : 0);
        if (type == EventType.CLICK) {
            byte[] url = ("https://example.com/landing/" + (e % 7)).getBytes();
            event.url(url, 0, url.length);
        }
        if (!writer.tryAppend(event)) {
            throw new IllegalStateException("journal full");
        }
        return type;
    }
}
