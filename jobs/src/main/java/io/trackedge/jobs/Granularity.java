package io.trackedge.jobs;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;

/** The length of a job's period, aligned in UTC: weeks start on Monday, months on the 1st. */
public enum Granularity {
    HOUR, DAY, WEEK, MONTH;

    /** The start of the period of this granularity that contains {@code t}. */
    public Instant floor(Instant t) {
        return switch (this) {
            case HOUR -> t.truncatedTo(ChronoUnit.HOURS);
            case DAY -> t.truncatedTo(ChronoUnit.DAYS);
            case WEEK -> startOf(day(t).with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY)));
            case MONTH -> startOf(day(t).withDayOfMonth(1));
        };
    }

    /** The start of the period after the one starting at {@code start} (which must be aligned). */
    public Instant next(Instant start) {
        return switch (this) {
            case HOUR -> start.plus(1, ChronoUnit.HOURS);
            case DAY -> start.plus(1, ChronoUnit.DAYS);
            case WEEK -> start.plus(7, ChronoUnit.DAYS);
            case MONTH -> startOf(day(start).plusMonths(1));
        };
    }

    /** The lower-case name used in keys, payloads and the CLI: {@code hour}, {@code day}, ... */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Parses {@link #label()} (any case). */
    public static Granularity parse(String s) {
        return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
    }

    private static LocalDate day(Instant t) {
        return LocalDate.ofInstant(t, ZoneOffset.UTC);
    }

    private static Instant startOf(LocalDate d) {
        return d.atStartOfDay(ZoneOffset.UTC).toInstant();
    }
}
