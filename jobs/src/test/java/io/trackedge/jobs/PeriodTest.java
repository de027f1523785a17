package io.trackedge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import org.junit.jupiter.api.Test;

class PeriodTest {

    @Test
    void periodsAreAlignedHalfOpenUtcIntervals() {
        Instant t = Instant.parse("2026-12-02T13:45:10Z"); // a Wednesday
        assertEquals(new Period(Granularity.HOUR, Instant.parse("2026-12-02T13:00:00Z"), Instant.parse("2026-12-02T14:00:00Z")),
                Period.hourOf(t));
        assertEquals(Instant.parse("2026-12-03T00:00:00Z"), Period.dayOf(t).end());
        assertEquals(Instant.parse("2026-11-30T00:00:00Z"), Period.weekOf(LocalDate.of(2026, 12, 2)).start());
        assertEquals(Instant.parse("2026-12-07T00:00:00Z"), Period.weekOf(LocalDate.of(2026, 12, 6)).end());
        Period feb = Period.monthOf(YearMonth.of(2028, 2));
        assertEquals(Instant.parse("2028-03-01T00:00:00Z"), feb.end());
        assertEquals(LocalDate.of(2028, 2, 29), feb.lastDate());
        assertEquals(Period.monthOf(YearMonth.of(2027, 1)), Period.monthOf(YearMonth.of(2026, 12)).next());
    }

    @Test
    void parseReadsWhatToStringWritesAndTheShortForms() {
        Period h = Period.hourOf(Instant.parse("2026-12-02T13:45:10Z"));
        assertEquals(h, Period.parse(h.toString()));
        assertEquals(Period.dayOf(LocalDate.of(2026, 12, 1)), Period.parse("day:2026-12-01"));
        assertEquals(Period.monthOf(YearMonth.of(2026, 12)), Period.parse("month:2026-12"));
        assertThrows(IllegalArgumentException.class, () -> Period.parse("week:2026-12-02"), "not a Monday");
        assertThrows(IllegalArgumentException.class, () -> Period.parse("2026-12-02"));
        assertThrows(IllegalArgumentException.class,
                () -> new Period(Granularity.DAY, Instant.parse("2026-12-02T00:00:00Z"), Instant.parse("2026-12-04T00:00:00Z")));
    }
}
