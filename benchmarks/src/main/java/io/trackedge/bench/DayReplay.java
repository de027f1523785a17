package io.trackedge.bench;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * A day of {@link RawDayLoader} events, set aside and put back into its partition an hour at a time,
 * so that jobs can run over the day as it fills, as the scheduler runs them:
 *
 * <pre>
 *   RawDayLoader ──▶ the day's partition ──copy──▶ day_set_aside; the partition emptied
 *   putBack(h): the events of hour h ──INSERT──▶ the partition (ANALYZE)
 * </pre>
 */
final class DayReplay {

    private final Statement s;
    private final LocalDate day;
    private final String partition;

    private DayReplay(Statement s, LocalDate day) {
        this.s = s;
        this.day = day;
        this.partition = "email_events_" + day.format(DateTimeFormatter.BASIC_ISO_DATE);
    }

    /** Loads {@code events} on {@code day} and empties its partition again; {@code s} stays the caller's. */
    static DayReplay load(Connection c, Statement s, LocalDate day, long events) throws Exception {
        RawDayLoader.load(c, day, events);
        DayReplay replay = new DayReplay(s, day);
        s.execute("CREATE TABLE day_set_aside AS SELECT * FROM " + replay.partition);
        s.execute("TRUNCATE " + replay.partition);
        return replay;
    }

    /** The start of hour {@code h} of the day. */
    Instant hour(int h) {
        return day.atStartOfDay(ZoneOffset.UTC).toInstant().plus(Duration.ofHours(h));
    }

    /** Puts the events of hour {@code h} back, and analyzes the partition as autovacuum would by then. */
    void putBack(int h) throws Exception {
        s.execute("INSERT INTO " + partition + " SELECT * FROM day_set_aside WHERE occurred_at >= '" + hour(h)
                + "' AND occurred_at < '" + hour(h + 1) + "'");
        s.execute("ANALYZE " + partition);
    }
}
