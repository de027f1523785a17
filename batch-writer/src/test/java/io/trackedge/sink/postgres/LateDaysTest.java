package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Which days a batch marks as written into after they closed: those of its daily counters before today. */
class LateDaysTest {

    private static final UUID TENANT = UUID.fromString("6f1c2a9e-0000-4000-8000-000000000001");

    private static long micros(String t) {
        Instant i = Instant.parse(t);
        return i.getEpochSecond() * 1_000_000L + i.getNano() / 1000;
    }

    private static DailyFold fold(String... days) {
        DailyFold f = new DailyFold();
        int n = 0;
        for (String d : days) {
            f.add(TENANT, TENANT, "camp-" + n++ % 3, "mb", LocalDate.parse(d), DailyCounter.EMAILS_BOUNCED, 1);
        }
        return f;
    }

    @Test
    void todaysCountersMarkNothing() {
        LateDays late = new LateDays(() -> micros("2026-12-02T10:20:00Z"));
        late.collect(fold("2026-12-02", "2026-12-02"), List.of(), List.of());
        assertEquals(List.of(), late.days());
    }

    @Test
    void everyEarlierDayOnce() {
        LateDays late = new LateDays(() -> micros("2026-12-02T10:20:00Z"));
        // a late bounce, an open moved to the day before (a first touch), and today's traffic
        late.collect(fold("2026-12-02", "2026-11-20", "2026-11-20", "2026-12-01", "2026-11-20", "2026-12-02"), List.of(), List.of());
        assertEquals(List.of(LocalDate.parse("2026-11-20"), LocalDate.parse("2026-12-01")), late.days());
        late.collect(fold("2026-12-02"), List.of(), List.of());
        assertEquals(List.of(), late.days(), "each batch starts empty");
    }

    @Test
    void theLastMinuteOfTheDayIsACandidateForANodeWhoseClockIsBehind() {
        // PostgreSQL's clock decides; this node's clock, a minute behind at worst, only proposes.
        LateDays late = new LateDays(() -> micros("2026-12-02T23:59:30Z"));
        late.collect(fold("2026-12-02", "2026-12-01"), List.of(), List.of());
        assertEquals(List.of(LocalDate.parse("2026-12-02"), LocalDate.parse("2026-12-01")), late.days());
    }
}
