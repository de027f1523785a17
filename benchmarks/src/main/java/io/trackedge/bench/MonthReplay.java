package io.trackedge.bench;

import java.sql.Connection;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * A calendar month of {@link RawDayLoader} events, the same number each day and emails of their own each
 * day, set aside and put back a day at a time, so that a job whose day run reads the month to date
 * runs as the scheduler runs it through the month:
 *
 * <pre>
 *   RawDayLoader, once a day of the month ──▶ the days' partitions ──copy──▶ month_set_aside; the partitions emptied
 *   putBack(d): the events of day d ──INSERT──▶ its partition (ANALYZE)
 * </pre>
 */
final class MonthReplay {

    /** Past the emails of any day loaded beside the month (those number from 0). */
    private static final long FIRST_EMAIL = 1_000_000_000L;

    private final Statement s;
    private final YearMonth month;
    private final long perDay;

    private MonthReplay(Statement s, YearMonth month, long perDay) {
        this.s = s;
        this.month = month;
        this.perDay = perDay;
    }

    /** Loads {@code perDay} events on each day of {@code month} and empties the days' partitions again. */
    static MonthReplay load(Connection c, Statement s, YearMonth month, long perDay) throws Exception {
        long emailsPerDay = (perDay + 19) / 20; // RawDayLoader: 20 events an email
        for (int d = 1; d <= month.lengthOfMonth(); d++) {
            RawDayLoader.load(c, month.atDay(d), perDay, FIRST_EMAIL + (d - 1) * emailsPerDay);
        }
        s.execute("CREATE TABLE month_set_aside AS SELECT * FROM email_event_rows WHERE occurred_at >= '" + start(month.atDay(1))
                + "' AND occurred_at < '" + start(month.plusMonths(1).atDay(1)) + "'");
        for (int d = 1; d <= month.lengthOfMonth(); d++) {
            s.execute("TRUNCATE " + partition(month.atDay(d)));
        }
        return new MonthReplay(s, month, perDay);
    }

    int days() {
        return month.lengthOfMonth();
    }

    long events() {
        return perDay * days();
    }

    LocalDate day(int d) {
        return month.atDay(d);
    }

    /** Puts the events of day {@code d} (1 = the month's first) back, and analyzes its partition. */
    void putBack(int d) throws Exception {
        LocalDate day = month.atDay(d);
        s.execute("INSERT INTO " + partition(day) + " SELECT * FROM month_set_aside WHERE occurred_at >= '" + start(day)
                + "' AND occurred_at < '" + start(day.plusDays(1)) + "'");
        s.execute("ANALYZE " + partition(day));
    }

    private static String partition(LocalDate day) {
        return "email_events_" + day.format(DateTimeFormatter.BASIC_ISO_DATE);
    }

    private static String start(LocalDate day) {
        return day.atStartOfDay(ZoneOffset.UTC).toInstant().toString();
    }
}
