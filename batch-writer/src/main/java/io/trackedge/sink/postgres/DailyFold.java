package io.trackedge.sink.postgres;

import io.trackedge.journal.Attributes;
import io.trackedge.journal.EventRecord;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Folds a batch's events into one row of increments per {@code daily_analytics} key, so a batch
 * costs one upsert per key instead of one update per event (the product document's hot-row bug).
 */
final class DailyFold {

    /** The natural key of {@code daily_analytics}; campaign and mailbox may be null. */
    record Key(UUID tenant, UUID user, String campaign, String mailbox, LocalDate date) {
    }

    private final Map<Key, long[]> rows = new LinkedHashMap<>();

    static LocalDate utcDate(long epochMicros) {
        return LocalDate.ofInstant(Instant.ofEpochSecond(Math.floorDiv(epochMicros, 1_000_000L)), ZoneOffset.UTC);
    }

    static LocalDate utcDate(OffsetDateTime t) {
        return t.withOffsetSameInstant(ZoneOffset.UTC).toLocalDate();
    }

    void add(UUID tenant, UUID user, String campaign, String mailbox, LocalDate date, DailyCounter c, long n) {
        rows.computeIfAbsent(new Key(tenant, user, campaign, mailbox, date), k -> new long[DailyCounter.values().length])
                [c.ordinal()] += n;
    }

    /**
     * Adds the per-event counters of {@code e} (not the unique ones: those come from first-touch
     * inserts); {@code machine} is the classifier's verdict, or the edge's flags when there is none.
     */
    void add(EventRecord e, boolean machine) {
        var f = e.fields();
        LocalDate d = utcDate(e.occurredAtMicros());
        switch (e.type()) {
            case OPEN -> {
                add(f.tenant(), f.user(), f.campaign(), f.mailbox(), d, DailyCounter.OPENS_TOTAL, 1);
                add(f.tenant(), f.user(), f.campaign(), f.mailbox(), d,
                        machine ? DailyCounter.OPENS_MACHINE : DailyCounter.OPENS_HUMAN, 1);
            }
            case CLICK -> {
                add(f.tenant(), f.user(), f.campaign(), f.mailbox(), d, DailyCounter.CLICKS_TOTAL, 1);
                add(f.tenant(), f.user(), f.campaign(), f.mailbox(), d,
                        machine ? DailyCounter.CLICKS_MACHINE : DailyCounter.CLICKS_HUMAN, 1);
            }
            case SENT -> add(f.tenant(), f.user(), f.campaign(), f.mailbox(), d, DailyCounter.EMAILS_SENT, 1);
            case DELIVERED -> add(f.tenant(), f.user(), f.campaign(), f.mailbox(), d, DailyCounter.EMAILS_DELIVERED, 1);
            case BOUNCED -> {
                add(f.tenant(), f.user(), f.campaign(), f.mailbox(), d, DailyCounter.EMAILS_BOUNCED, 1);
                add(f.tenant(), f.user(), f.campaign(), f.mailbox(), d,
                        "hard".equals(e.attributes().get(Attributes.BOUNCE_TYPE)) ? DailyCounter.BOUNCES_HARD : DailyCounter.BOUNCES_SOFT, 1);
            }
            case REPLIED -> add(f.tenant(), f.user(), f.campaign(), f.mailbox(), d, DailyCounter.EMAILS_REPLIED, 1);
            case UNSUBSCRIBED -> add(f.tenant(), f.user(), f.campaign(), f.mailbox(), d, DailyCounter.UNSUBSCRIBES, 1);
            case COMPLAINED -> add(f.tenant(), f.user(), f.campaign(), f.mailbox(), d, DailyCounter.COMPLAINTS, 1);
            case WARMUP_OPEN -> add(f.tenant(), f.user(), null, f.mailbox(), d, DailyCounter.WARMUP_OPENS, 1);
            case WARMUP_REPLY -> add(f.tenant(), f.user(), null, f.mailbox(), d, DailyCounter.WARMUP_REPLIES, 1);
        }
    }

    /** Moves one open or click of {@code key}'s day between the human and machine counters. */
    void move(UUID tenant, UUID user, String campaign, String mailbox, LocalDate date, boolean open, boolean toMachine) {
        DailyCounter human = open ? DailyCounter.OPENS_HUMAN : DailyCounter.CLICKS_HUMAN;
        DailyCounter machine = open ? DailyCounter.OPENS_MACHINE : DailyCounter.CLICKS_MACHINE;
        add(tenant, user, campaign, mailbox, date, toMachine ? human : machine, -1);
        add(tenant, user, campaign, mailbox, date, toMachine ? machine : human, 1);
    }

    Map<Key, long[]> rows() {
        return rows;
    }

    void clear() {
        rows.clear();
    }
}
