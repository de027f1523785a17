package io.trackedge.sink.postgres;

import io.trackedge.classify.Correction;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.LongSupplier;

/**
 * Adds a row to {@code analytics_late_days} for each closed UTC day a batch writes into, in the
 * batch's transaction (whose id the row holds), so that the scheduler runs those days' roll-ups
 * again (the jobs module's {@code LateEventReruns}): a mail server's late bounce, a replayed event,
 * a correction of an earlier open, a first touch moved to another day, a sink catching up on its
 * journal. The days are the daily counters' ({@link DailyFold}), which every one of those moves,
 * and, for an open or click (or a correction of one) at least two days old, the later day holding
 * each of the same email's first opens and clicks after it (any, human, machine, per link): the stats
 * tables count an email's first open and click ever on the day it fell, so an older one may move that
 * first out of a later day. (A day late, there is no such day: a sink catching up across midnight
 * pays no lookup.)
 *
 * <p>A batch of today's events writes nothing; the statement runs only for a batch that reaches
 * back. PostgreSQL's clock decides what is closed; this node's clock only picks the candidates, with
 * a minute of slack for a node whose clock is behind the database's (so in the last minute of a UTC
 * day every batch asks, and the database says no).
 */
final class LateDays {

    static final long CLOCK_SLACK_MICROS = 60_000_000L;
    private static final long DAY_MICROS = 86_400_000_000L;

    private static final String MARK = "INSERT INTO analytics_late_days (day) SELECT d FROM unnest(?::date[]) AS d"
            + " WHERE d < (clock_timestamp() AT TIME ZONE 'UTC')::date";

    // Per email and per kind of "first" the stats tables count (any open, any click, human and machine
    // ones, each link's click), the earliest later day: the day whose first the old event may take.
    private static final String LATER_FIRSTS = "SELECT DISTINCT first_day FROM (SELECT min((e.occurred_at AT TIME ZONE 'UTC')::date)"
            + " AS first_day FROM unnest(?::uuid[], ?::text[], ?::date[]) AS l(t, em, d)"
            + " JOIN email_events e ON e.tenant_id = l.t AND e.email_id = l.em"
            + " WHERE e.event_type IN ('open', 'click') AND e.occurred_at >= ((l.d + 1)::timestamp AT TIME ZONE 'UTC')"
            + " AND e.occurred_at < ? GROUP BY l.t, l.em, e.event_type, e.is_machine, e.url) f";

    private final LongSupplier nowMicros;
    private final List<LocalDate> days = new ArrayList<>();
    /** An email of an open or click two days old or more, whose later firsts may move. */
    private record Email(UUID tenant, String email) {
    }

    // per email, its oldest such day: a batch of backfill sends each email once
    private final java.util.Map<Email, LocalDate> old = new java.util.LinkedHashMap<>();
    private LocalDate today;

    LateDays(LongSupplier nowMicros) {
        this.nowMicros = nowMicros;
    }

    /**
     * Collects the days of {@code fold} before today (by this node's clock, with slack), and the
     * emails of {@code rows}' and {@code fixes}' older opens and clicks.
     */
    void collect(DailyFold fold, List<EventRecord> rows, List<Correction> fixes) {
        days.clear();
        old.clear();
        today = LocalDate.ofEpochDay(Math.floorDiv(nowMicros.getAsLong() + CLOCK_SLACK_MICROS, DAY_MICROS));
        long twoDaysAgo = today.toEpochDay() - 1;
        for (EventRecord e : rows) {
            if (e.type() == EventType.OPEN || e.type() == EventType.CLICK) {
                old(e.fields(), e.occurredAtMicros(), twoDaysAgo);
            }
        }
        for (Correction f : fixes) {
            old(f.fields(), f.occurredAtMicros(), twoDaysAgo);
        }
        LocalDate last = null;
        for (DailyFold.Key k : fold.rows().keySet()) {
            LocalDate d = k.date();
            if (d.equals(last) || !d.isBefore(today)) { // a batch's keys are mostly of one day
                continue;
            }
            last = d;
            if (!days.contains(d)) {
                days.add(d);
            }
        }
    }

    private void old(EventFields f, long occurredAtMicros, long beforeDay) {
        long day = Math.floorDiv(occurredAtMicros, DAY_MICROS);
        if (day < beforeDay && f != null && f.email() != null) {
            old.merge(new Email(f.tenant(), f.email()), LocalDate.ofEpochDay(day), (a, b) -> a.isBefore(b) ? a : b);
        }
    }

    /** The days collected, for tests. */
    List<LocalDate> days() {
        return List.copyOf(days);
    }

    /** Marks the collected days PostgreSQL's clock says are closed; nothing when none were collected. */
    void write(Connection c) throws SQLException {
        if (!old.isEmpty()) {
            laterFirsts(c);
        }
        if (days.isEmpty()) {
            return;
        }
        Array a = c.createArrayOf("date", days.toArray());
        try (PreparedStatement s = c.prepareStatement(MARK)) {
            s.setArray(1, a);
            s.executeUpdate();
        } finally {
            a.free();
        }
    }

    private void laterFirsts(Connection c) throws SQLException {
        Array t = c.createArrayOf("uuid", old.keySet().stream().map(Email::tenant).toArray());
        Array em = c.createArrayOf("text", old.keySet().stream().map(Email::email).toArray());
        Array d = c.createArrayOf("date", old.values().toArray());
        try (PreparedStatement s = c.prepareStatement(LATER_FIRSTS)) {
            s.setArray(1, t);
            s.setArray(2, em);
            s.setArray(3, d);
            // a constant bound, so that the days not made yet are pruned; PostgreSQL's clock marks
            s.setObject(4, today.plusDays(1).atStartOfDay().atOffset(java.time.ZoneOffset.UTC));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    LocalDate later = r.getObject(1, LocalDate.class);
                    if (!days.contains(later)) {
                        days.add(later);
                    }
                }
            }
        } finally {
            t.free();
            em.free();
            d.free();
        }
    }
}
