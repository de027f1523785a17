package io.trackedge.jobs;

import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * A half-open UTC interval {@code [start, end)} of one {@link Granularity}, aligned to it: an
 * hour, a day, a Monday-to-Sunday week or a calendar month. The key of a job together with its
 * type and tenant.
 */
public record Period(Granularity granularity, Instant start, Instant end) {

    public Period {
        Objects.requireNonNull(granularity, "granularity");
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(end, "end");
        if (!granularity.floor(start).equals(start)) {
            throw new IllegalArgumentException(start + " is not the start of a " + granularity.label());
        }
        if (!granularity.next(start).equals(end)) {
            throw new IllegalArgumentException("a " + granularity.label() + " from " + start + " ends at "
                    + granularity.next(start) + ", not " + end);
        }
    }

    /** The period of {@code g} that contains {@code t}. */
    public static Period of(Granularity g, Instant t) {
        Instant s = g.floor(t);
        return new Period(g, s, g.next(s));
    }

    public static Period hourOf(Instant t) {
        return of(Granularity.HOUR, t);
    }

    public static Period dayOf(Instant t) {
        return of(Granularity.DAY, t);
    }

    public static Period dayOf(LocalDate d) {
        return of(Granularity.DAY, d.atStartOfDay(ZoneOffset.UTC).toInstant());
    }

    /** The Monday-to-Sunday week containing {@code d}. */
    public static Period weekOf(LocalDate d) {
        return of(Granularity.WEEK, d.atStartOfDay(ZoneOffset.UTC).toInstant());
    }

    public static Period monthOf(YearMonth m) {
        return of(Granularity.MONTH, m.atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant());
    }

    /** The period right after this one. */
    public Period next() {
        return new Period(granularity, end, granularity.next(end));
    }

    /** The UTC date the period starts on (the {@code date} column of the daily roll-up tables). */
    public LocalDate startDate() {
        return LocalDate.ofInstant(start, ZoneOffset.UTC);
    }

    /** The last UTC date inside the period (inclusive). */
    public LocalDate lastDate() {
        return LocalDate.ofInstant(end.minusNanos(1), ZoneOffset.UTC);
    }

    /** The key form, e.g. {@code day:2026-12-01T00:00:00Z}; {@link #parse} reads it back. */
    @Override
    public String toString() {
        return granularity.label() + ":" + start;
    }

    /** Reads {@link #toString()}'s form back; also accepts {@code day:2026-12-01}, {@code month:2026-12}. */
    public static Period parse(String s) {
        int colon = s.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("a period is granularity:start, e.g. day:2026-12-01, not " + s);
        }
        Granularity g = Granularity.parse(s.substring(0, colon));
        String at = s.substring(colon + 1).trim();
        Instant t;
        if (at.contains("T")) {
            t = Instant.parse(at);
        } else if (at.length() == 7) {
            t = YearMonth.parse(at).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        } else {
            t = LocalDate.parse(at).atStartOfDay(ZoneOffset.UTC).toInstant();
        }
        Period p = of(g, t);
        if (!p.start.equals(t)) {
            throw new IllegalArgumentException(at + " is not the start of a " + g.label() + " (that would be " + p.start + ")");
        }
        return p;
    }
}
