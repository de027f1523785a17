package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.classify.Classification;
import io.trackedge.classify.Correction;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Which days a batch marks as written into after they closed (those of its daily counters before today),
 * and which hours of today (those of its rows and corrections before this hour).
 */
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

    private static EventRecord event(EventType type, String at) {
        return new EventRecord(UUID.randomUUID(), type, 0, micros(at), new byte[0], "",
                new EventFields(TENANT, TENANT, "camp", "mb", "email-1", null, null, null), null, Map.of());
    }

    @Test
    void thisHoursRowsMarkNoHour() {
        LateDays late = new LateDays(() -> micros("2026-12-02T10:20:00Z"));
        late.collect(fold("2026-12-02"), List.of(event(EventType.SENT, "2026-12-02T10:00:00Z"),
                event(EventType.OPEN, "2026-12-02T10:19:59Z")), List.of());
        assertEquals(List.of(), late.hours());
    }

    @Test
    void everyEarlierHourOfTodayOnceAndTheCorrectionsHours() {
        LateDays late = new LateDays(() -> micros("2026-12-02T10:20:00Z"));
        late.collect(fold("2026-12-02"), List.of(event(EventType.BOUNCED, "2026-12-02T03:10:00Z"),
                        event(EventType.OPEN, "2026-12-02T10:01:00Z"), event(EventType.DELIVERED, "2026-12-02T03:59:59Z"),
                        event(EventType.SENT, "2026-12-02T09:59:00Z")),
                List.of(new Correction(UUID.randomUUID(), micros("2026-12-02T07:30:00Z"),
                        new EventFields(TENANT, TENANT, "camp", "mb", "email-1", null, null, null), Classification.NONE,
                        Classification.NONE)));
        assertEquals(List.of(Instant.parse("2026-12-02T03:00:00Z"), Instant.parse("2026-12-02T09:00:00Z"),
                Instant.parse("2026-12-02T07:00:00Z")), late.hours());
    }

    @Test
    void theDayBeforesHoursAreOnlyCandidatesAndOlderDaysHoursAreLeftToTheDayMarks() {
        LateDays late = new LateDays(() -> micros("2026-12-02T00:20:00Z"));
        late.collect(fold("2026-12-01", "2026-11-28"), List.of(event(EventType.SENT, "2026-12-01T23:50:00Z"),
                event(EventType.SENT, "2026-12-01T22:50:00Z"), event(EventType.SENT, "2026-11-28T12:00:00Z")), List.of());
        assertEquals(List.of(Instant.parse("2026-12-01T23:00:00Z"), Instant.parse("2026-12-01T22:00:00Z")), late.hours(),
                "candidates: PostgreSQL marks only an hour of its today");
        assertEquals(List.of(LocalDate.parse("2026-12-01"), LocalDate.parse("2026-11-28")), late.days());
    }
}
