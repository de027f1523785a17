package io.trackedge.sink.postgres;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Adds a row to {@code analytics_late_days} for each closed UTC day a batch writes into, in the
 * batch's transaction (whose id the row holds), so that the scheduler runs those days' roll-ups
 * again (the jobs module's {@code LateEventReruns}): a mail server's late bounce, a replayed event,
 * a correction of an earlier open, a first touch moved to another day, a sink catching up on its
 * journal. The days are the daily counters' ({@link DailyFold}), which every one of those moves.
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

    private final LongSupplier nowMicros;
    private final List<LocalDate> days = new ArrayList<>();

    LateDays(LongSupplier nowMicros) {
        this.nowMicros = nowMicros;
    }

    /** Collects the days of {@code fold} before today (by this node's clock, with slack). */
    void collect(DailyFold fold) {
        days.clear();
        LocalDate today = LocalDate.ofEpochDay(Math.floorDiv(nowMicros.getAsLong() + CLOCK_SLACK_MICROS, DAY_MICROS));
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

    /** The days collected, for tests. */
    List<LocalDate> days() {
        return List.copyOf(days);
    }

    /** Marks the collected days PostgreSQL's clock says are closed; nothing when none were collected. */
    void write(Connection c) throws SQLException {
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
}
