package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.trackedge.classify.Classification;
import io.trackedge.classify.Correction;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Which hours a batch marks as written into after they closed. */
class LateHoursTest {

    private static final long NOW = micros("2026-12-02T10:20:00Z");

    private static long micros(String t) {
        Instant i = Instant.parse(t);
        return i.getEpochSecond() * 1_000_000L + i.getNano() / 1000;
    }

    private static long hour(String t) {
        return Math.floorDiv(micros(t), LateHours.HOUR_MICROS);
    }

    private static EventRecord at(String t) {
        return new EventRecord(UUID.randomUUID(), EventType.BOUNCED, 0, micros(t), null, null, null, null, Map.of());
    }

    @Test
    void aBatchOfTheOpenHourMarksNothing() {
        LateHours late = new LateHours(() -> NOW);
        late.collect(List.of(at("2026-12-02T10:00:00Z"), at("2026-12-02T10:19:59Z")), List.of());
        assertArrayEquals(new long[0], late.hours());
    }

    @Test
    void everyEarlierHourOnceInOrderFromEventsAndCorrections() {
        LateHours late = new LateHours(() -> NOW);
        Correction fix = new Correction(UUID.randomUUID(), micros("2026-11-30T23:59:59Z"), null,
                Classification.NONE, Classification.NONE);
        late.collect(List.of(at("2026-12-02T09:59:59.999999Z"), at("2026-12-01T08:30:00Z"), at("2026-12-02T09:00:00Z"),
                at("2026-12-01T08:10:00Z"), at("2026-12-02T10:05:00Z"), at("2026-12-02T09:30:00Z")), List.of(fix));
        assertArrayEquals(new long[] {hour("2026-11-30T23:00:00Z"), hour("2026-12-01T08:00:00Z"), hour("2026-12-02T09:00:00Z")},
                late.hours());
        late.collect(List.of(at("2026-12-02T10:05:00Z")), List.of());
        assertArrayEquals(new long[0], late.hours(), "each batch starts empty");
    }

    @Test
    void theLastMinuteOfTheHourIsACandidateForANodeWhoseClockIsBehind() {
        // PostgreSQL's clock decides; this node's clock, a minute behind at worst, only proposes.
        LateHours late = new LateHours(() -> micros("2026-12-02T10:59:30Z"));
        late.collect(List.of(at("2026-12-02T10:59:00Z"), at("2026-12-02T09:10:00Z")), List.of());
        assertArrayEquals(new long[] {hour("2026-12-02T09:00:00Z"), hour("2026-12-02T10:00:00Z")}, late.hours());
    }
}
