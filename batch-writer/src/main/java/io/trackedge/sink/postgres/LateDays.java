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
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
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
 * and, for an open or click (or a correction of one) of an earlier day, the later day holding
 * each of the same email's first opens and clicks after it (any, human, machine, per link): the stats
 * tables count an email's first open and click ever on the day it fell, so an older one may move that
 * first out of a later day.
 *
 * <p>Likewise a row in {@code analytics_late_hours} (sql/V28) for each closed hour of today the batch's
 * rows or corrections fall in, and for the hour of today holding such a later first: an hour's job of
 * the hourly tables recounts only its hour, so what lands in it afterwards must run it again.
 *
 * <p>A batch of this hour's events writes nothing; the statements run only for a batch that reaches
 * back. PostgreSQL's clock decides what is closed; this node's clock only picks the candidates, with
 * a minute of slack for a node whose clock is behind the database's (so in the last minute of an
 * hour every batch asks, and the database says no).
 */
final class LateDays {

    static final long CLOCK_SLACK_MICROS = 60_000_000L;
    private static final long DAY_MICROS = 86_400_000_000L;
    private static final long HOUR_MICROS = 3_600_000_000L;

    private static final String MARK = "INSERT INTO analytics_late_days (day) SELECT d FROM unnest(?::date[]) AS d"
            + " WHERE d < (clock_timestamp() AT TIME ZONE 'UTC')::date";
    private static final String MARK_HOURS = "INSERT INTO analytics_late_hours (hour) SELECT h FROM unnest(?::timestamptz[]) AS h"
            + " WHERE h < date_trunc('hour', clock_timestamp(), 'UTC') AND h >= date_trunc('day', clock_timestamp(), 'UTC')";

    // The first itself, not its day: when it falls today, its hour is marked.
    private static final String LATER_FIRSTS = laterFirsts("DISTINCT first_at", " AND e.occurred_at < ?");

    /**
     * Per email and per kind of "first" the stats tables count (any open, any click, human and machine
     * ones, each link's click), the earliest open or click after the day given with the email: the one whose
     * being first a change on that day may move. Parameters: arrays of tenants, emails and days, then those
     * of {@code bound}; the inner rows are {@code (t, first_at)}, which {@code select} reads.
     */
    static String laterFirsts(String select, String bound) {
        return "SELECT " + select + " FROM (SELECT l.t AS t, min(e.occurred_at) AS first_at"
                + " FROM unnest(?::uuid[], ?::text[], ?::date[]) AS l(t, em, d)"
                + " JOIN email_events e ON e.tenant_id = l.t AND e.email_id = l.em"
                + " WHERE e.event_type IN ('open', 'click') AND e.occurred_at >= ((l.d + 1)::timestamp AT TIME ZONE 'UTC')"
                + bound + " GROUP BY l.t, l.em, e.event_type, e.is_machine, e.url) f";
    }

    private final LongSupplier nowMicros;
    private final List<LocalDate> days = new ArrayList<>();
    /** Hours of today (as hours since the epoch) the batch writes into, before the current one. */
    private final List<Long> hours = new ArrayList<>();
    /** An email of an open or click of an earlier day, whose later firsts may move. */
    private record Email(UUID tenant, String email) {
    }

    // per email, its oldest such day: a batch of backfill sends each email once
    private final java.util.Map<Email, LocalDate> old = new java.util.LinkedHashMap<>();
    private LocalDate today;
    private long thisHour;

    LateDays(LongSupplier nowMicros) {
        this.nowMicros = nowMicros;
    }

    /**
     * Collects the days of {@code fold} before today and the hours of today before this one (by this
     * node's clock, with slack) of {@code rows} and {@code fixes}, and the emails of their opens and
     * clicks of earlier days.
     */
    void collect(DailyFold fold, List<EventRecord> rows, List<Correction> fixes) {
        days.clear();
        hours.clear();
        old.clear();
        long now = nowMicros.getAsLong() + CLOCK_SLACK_MICROS;
        today = LocalDate.ofEpochDay(Math.floorDiv(now, DAY_MICROS));
        thisHour = Math.floorDiv(now, HOUR_MICROS);
        long todayEpochDay = today.toEpochDay();
        for (EventRecord e : rows) {
            hour(e.occurredAtMicros());
            if (e.type() == EventType.OPEN || e.type() == EventType.CLICK) {
                old(e.fields(), e.occurredAtMicros(), todayEpochDay);
            }
        }
        for (Correction f : fixes) {
            hour(f.occurredAtMicros());
            old(f.fields(), f.occurredAtMicros(), todayEpochDay);
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

    /** An hour of today before this one; the one day back is a candidate too, for the slack across midnight. */
    private void hour(long occurredAtMicros) {
        long h = Math.floorDiv(occurredAtMicros, HOUR_MICROS);
        if (h < thisHour && h >= (today.toEpochDay() - 1) * 24 && !hours.contains(h)) { // a batch's rows are mostly of one hour
            hours.add(h);
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

    /** The hours collected, for tests. */
    List<Instant> hours() {
        return hours.stream().map(h -> Instant.ofEpochSecond(h * 3600)).toList();
    }

    /** Marks the collected days and hours PostgreSQL's clock says are closed; nothing when none were collected. */
    void write(Connection c) throws SQLException {
        if (!old.isEmpty()) {
            laterFirsts(c);
        }
        mark(c, MARK, "date", days.toArray());
        mark(c, MARK_HOURS, "timestamptz", hours.stream().map(h -> OffsetDateTime.ofInstant(Instant.ofEpochSecond(h * 3600),
                ZoneOffset.UTC)).toArray());
    }

    private static void mark(Connection c, String sql, String type, Object[] values) throws SQLException {
        if (values.length == 0) {
            return;
        }
        Array a = c.createArrayOf(type, values);
        try (PreparedStatement s = c.prepareStatement(sql)) {
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
            s.setObject(4, today.plusDays(1).atStartOfDay().atOffset(ZoneOffset.UTC));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    OffsetDateTime first = r.getObject(1, OffsetDateTime.class);
                    LocalDate later = first.atZoneSameInstant(ZoneOffset.UTC).toLocalDate();
                    if (later.isBefore(today)) {
                        if (!days.contains(later)) {
                            days.add(later);
                        }
                    } else {
                        hour(first.toEpochSecond() * 1_000_000L); // today: its hour, if it has closed
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
