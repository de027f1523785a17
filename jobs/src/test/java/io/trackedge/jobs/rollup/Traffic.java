package io.trackedge.jobs.rollup;

import io.trackedge.journal.Attributes;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.MutableEvent;
import io.trackedge.journal.RecordCodec;
import io.trackedge.sink.testing.JournalIds;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/**
 * A cold-outreach day in journal records, as the edge journals them: three tenants, their
 * campaigns, mailboxes (some named by address, one opaque), leads and sequence steps (some absent);
 * each email sent, then delivered or bounced (hard or soft), opened by people and by machines,
 * clicked, replied to, unsubscribed from or complained about; warm-up opens and replies per
 * mailbox. Emails are spread over today and the two days before; some are opened again a day later,
 * and some replied to a day later in an event that names no lead.
 */
final class Traffic {

    static final UUID[] TENANTS = {
        UUID.fromString("11111111-1111-4111-8111-111111111111"),
        UUID.fromString("22222222-2222-4222-8222-222222222222"),
        UUID.fromString("33333333-3333-4333-8333-333333333333")};
    private static final UUID[] USERS = {
        UUID.fromString("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"),
        UUID.fromString("bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb")};
    static final int DAYS = 3;

    private final JournalWriter writer;
    private final Random random;
    private final MutableEvent event = new MutableEvent();
    private final Instant now;
    private final JournalIds ids = new JournalIds();
    private long appended;

    Traffic(JournalWriter writer, long seed, Instant now) {
        this.writer = writer;
        this.random = new Random(seed);
        this.now = now;
    }

    static String mailbox(int i) {
        return i % 5 == 4 ? "opaque-mailbox-4" : "mbox-" + i % 5 + "@d" + i % 2 + ".example";
    }

    /** Appends the traffic of {@code emails} emails and of every mailbox's warm-up; returns the events appended. */
    long generate(int emails) {
        for (int i = 0; i < emails; i++) {
            email(i);
        }
        for (int t = 0; t < TENANTS.length; t++) {
            for (int m = 0; m < 5; m++) {
                for (int d = 0; d < DAYS; d++) {
                    if ((t + m + d) % 4 == 3) {
                        continue; // a mailbox not warming that day
                    }
                    int opens = random.nextInt(7);
                    int replies = random.nextInt(4);
                    for (int k = 0; k < opens + replies; k++) {
                        EventType type = k < opens ? EventType.WARMUP_OPEN : EventType.WARMUP_REPLY;
                        EventFields f = new EventFields(TENANTS[t], USERS[m % 2], EventFields.ABSENT, mailbox(m), EventFields.ABSENT,
                                null, null, null);
                        append(type, f, at(d), 0, null, Map.of(Attributes.PARTNER_MAILBOX, "peer-" + random.nextInt(9) + "@warm.example"));
                    }
                }
            }
        }
        return appended;
    }

    private void email(int i) {
        UUID tenant = TENANTS[i % 3];
        EventFields f = new EventFields(tenant, USERS[i % 2], "camp-" + i % 7, mailbox(i), "email-" + i,
                i % 13 == 0 ? null : "lead-" + i % 900, i % 11 == 0 ? null : "step-" + i % 3, null);
        int day = i % DAYS;
        long t = at(day);
        append(EventType.SENT, f, t++, 0, null, Map.of());
        if (random.nextInt(100) < 6) {
            append(EventType.BOUNCED, f, t, 0, null, Map.of(Attributes.BOUNCE_TYPE, random.nextBoolean() ? "hard" : "soft",
                    Attributes.BOUNCE_REASON, "550 user unknown"));
            return;
        }
        append(EventType.DELIVERED, f, t++, 0, null, Map.of());
        int opens = random.nextInt(4);
        for (int k = 0; k < opens; k++) {
            boolean machine = random.nextInt(4) == 0;
            append(EventType.OPEN, f, t++, machine ? (random.nextBoolean() ? EventRecord.FLAG_HEAD : EventRecord.FLAG_MACHINE) : 0,
                    null, Map.of());
        }
        if (random.nextInt(10) < 3) {
            int clicks = 1 + random.nextInt(2);
            for (int k = 0; k < clicks; k++) {
                append(EventType.CLICK, f, t++, random.nextInt(5) == 0 ? EventRecord.FLAG_MACHINE : 0,
                        "https://example.com/p/" + k, Map.of());
            }
        }
        if (random.nextInt(100) < 5) {
            append(EventType.REPLIED, f, t++, 0, null, Map.of(Attributes.MESSAGE_ID, "<r-" + i + "@x.example>"));
        }
        if (random.nextInt(100) < 3) {
            append(EventType.UNSUBSCRIBED, f, t++, 0, null, Map.of());
        }
        if (random.nextInt(100) < 2) {
            append(EventType.COMPLAINED, f, t++, 0, null, Map.of());
        }
        if (day > 0 && random.nextInt(5) == 0) {
            append(EventType.OPEN, f, at(day - 1), 0, null, Map.of()); // read again the next day
        }
        if (day > 0 && f.lead() != null && i % 17 == 5) {
            // A reply reported the next day without the lead its send carried, as mail servers do.
            EventFields noLead = new EventFields(f.tenant(), f.user(), f.campaign(), f.mailbox(), f.email(), null,
                    f.step(), null);
            // At a time drawn from no random number: the rest of the traffic stays what the tests were written for.
            long dayStart = ChronoUnit.MICROS.between(Instant.EPOCH, now.truncatedTo(ChronoUnit.DAYS).minus(day - 1, ChronoUnit.DAYS));
            long late = Math.min(ChronoUnit.MICROS.between(Instant.EPOCH, now) - 1_000_000, dayStart + (i % 3600) * 1_000_000L);
            append(EventType.REPLIED, noLead, late, 0, null, Map.of(Attributes.MESSAGE_ID, "<late-" + i + "@x.example>"));
        }
    }

    /** A time (epoch micros) on the day {@code daysAgo} before today, never in the future. */
    private long at(int daysAgo) {
        Instant start = now.truncatedTo(ChronoUnit.DAYS).minus(daysAgo, ChronoUnit.DAYS);
        long span = daysAgo == 0 ? Math.max(1, ChronoUnit.MICROS.between(start, now) - 1_000_000) : 86_400_000_000L - 1_000_000;
        return ChronoUnit.MICROS.between(Instant.EPOCH, start) + (long) (random.nextDouble() * span * 0.9);
    }

    static LocalDate day(Instant now, int daysAgo) {
        return LocalDate.ofInstant(now, ZoneOffset.UTC).minusDays(daysAgo);
    }

    private void append(EventType type, EventFields f, long micros, int flags, String url, Map<String, String> attributes) {
        // The edge's ids sort in journal order (they carry the time it received the event, and the
        // 12-bit counter moves the millisecond on when it wraps), whatever the event's own time says.
        event.reset(type, ids.next(micros / 1000), random.nextLong() & 0x3FFFFFFFFFFFFFFFL | 0x8000000000000000L, micros);
        byte[] block = FieldsCodec.encode(f);
        event.fields(block, 0, block.length);
        event.ip(new byte[] {10, 1, (byte) (appended >> 8), (byte) appended}, 4);
        event.userAgent(flags != 0 ? "GoogleImageProxy" : "Mozilla/5.0 (test)");
        event.flags(flags);
        if (url != null) {
            byte[] u = url.getBytes(StandardCharsets.UTF_8);
            event.url(u, 0, u.length);
        }
        if (!attributes.isEmpty()) {
            byte[] ext = RecordCodec.encodeAttributes(new LinkedHashMap<>(attributes));
            event.ext(ext, 0, ext.length);
        }
        if (!writer.tryAppend(event)) {
            throw new IllegalStateException("journal full");
        }
        appended++;
    }
}
