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

    private static final int COUNTERS = DailyCounter.values().length;

    private final Map<Key, long[]> rows = new LinkedHashMap<>();
    // A batch's events are mostly of one UTC day: its date is made once, not per event.
    private long lastDay = Long.MIN_VALUE;
    private LocalDate lastDate;

    static LocalDate utcDate(long epochMicros) {
        return LocalDate.ofInstant(Instant.ofEpochSecond(Math.floorDiv(epochMicros, 1_000_000L)), ZoneOffset.UTC);
    }

    static LocalDate utcDate(OffsetDateTime t) {
        return t.withOffsetSameInstant(ZoneOffset.UTC).toLocalDate();
    }

    void add(UUID tenant, UUID user, String campaign, String mailbox, LocalDate date, DailyCounter c, long n) {
        row(tenant, user, campaign, mailbox, date)[c.ordinal()] += n;
    }

    private long[] row(UUID tenant, UUID user, String campaign, String mailbox, LocalDate date) {
        return rows.computeIfAbsent(new Key(tenant, user, campaign, mailbox, date), k -> new long[COUNTERS]);
    }

    /**
     * Adds the per-event counters of {@code e} (not the unique ones: those come from first-touch
     * inserts); {@code machine} is the classifier's verdict, or the edge's flags when there is none.
     */
    void add(EventRecord e, boolean machine) {
        var f = e.fields();
        long day = Math.floorDiv(e.occurredAtMicros(), 86_400_000_000L);
        if (day != lastDay) {
            lastDate = LocalDate.ofEpochDay(day);
            lastDay = day;
        }
        boolean warmup = e.type().isWarmup();
        long[] r = row(f.tenant(), f.user(), warmup ? null : f.campaign(), f.mailbox(), lastDate);
        switch (e.type()) {
            case OPEN -> {
                r[DailyCounter.OPENS_TOTAL.ordinal()]++;
                r[(machine ? DailyCounter.OPENS_MACHINE : DailyCounter.OPENS_HUMAN).ordinal()]++;
            }
            case CLICK -> {
                r[DailyCounter.CLICKS_TOTAL.ordinal()]++;
                r[(machine ? DailyCounter.CLICKS_MACHINE : DailyCounter.CLICKS_HUMAN).ordinal()]++;
            }
            case SENT -> r[DailyCounter.EMAILS_SENT.ordinal()]++;
            case DELIVERED -> r[DailyCounter.EMAILS_DELIVERED.ordinal()]++;
            case BOUNCED -> {
                r[DailyCounter.EMAILS_BOUNCED.ordinal()]++;
                r[("hard".equals(e.attributes().get(Attributes.BOUNCE_TYPE)) ? DailyCounter.BOUNCES_HARD : DailyCounter.BOUNCES_SOFT).ordinal()]++;
            }
            case REPLIED -> r[DailyCounter.EMAILS_REPLIED.ordinal()]++;
            case UNSUBSCRIBED -> r[DailyCounter.UNSUBSCRIBES.ordinal()]++;
            case COMPLAINED -> r[DailyCounter.COMPLAINTS.ordinal()]++;
            case WARMUP_OPEN -> r[DailyCounter.WARMUP_OPENS.ordinal()]++;
            case WARMUP_REPLY -> r[DailyCounter.WARMUP_REPLIES.ordinal()]++;
        }
    }

    /** Moves one open or click of {@code key}'s day between the human and machine counters. */
    void move(UUID tenant, UUID user, String campaign, String mailbox, LocalDate date, boolean open, boolean toMachine) {
        DailyCounter human = open ? DailyCounter.OPENS_HUMAN : DailyCounter.CLICKS_HUMAN;
        DailyCounter machine = open ? DailyCounter.OPENS_MACHINE : DailyCounter.CLICKS_MACHINE;
        add(tenant, user, campaign, mailbox, date, toMachine ? human : machine, -1);
        add(tenant, user, campaign, mailbox, date, toMachine ? machine : human, 1);
    }

    /** Adds every counter of {@code other} to this fold's. */
    void addAll(DailyFold other) {
        other.rows.forEach((k, counts) -> {
            long[] r = rows.computeIfAbsent(k, x -> new long[COUNTERS]);
            for (int i = 0; i < COUNTERS; i++) {
                r[i] += counts[i];
            }
        });
    }

    Map<Key, long[]> rows() {
        return rows;
    }

    void clear() {
        rows.clear();
    }
}
