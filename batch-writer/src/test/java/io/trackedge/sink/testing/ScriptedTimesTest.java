package io.trackedge.sink.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** {@link Scripted#startInOneUtcDay}: the tests' events stay on one UTC day whatever the time they run. */
class ScriptedTimesTest {

    private static long micros(String instant) {
        return Instant.parse(instant).toEpochMilli() * 1000;
    }

    @Test
    void eventsThatWouldCrossMidnightEndBeforeIt() {
        // RescoreIT's events at 00:24 UTC: from 23:54 for 600 s, across midnight
        assertEquals(micros("2026-12-05T23:45:00Z"),
                Scripted.startInOneUtcDay(Instant.parse("2026-12-06T00:24:00Z"), Duration.ofMinutes(30), Duration.ofSeconds(600)));
    }

    @Test
    void eventsWithinTheDayStayWhereTheyWere() {
        assertEquals(micros("2026-12-06T11:30:00Z"),
                Scripted.startInOneUtcDay(Instant.parse("2026-12-06T12:00:00Z"), Duration.ofMinutes(30), Duration.ofSeconds(600)));
        // all of them on the day before: one day still
        assertEquals(micros("2026-12-05T23:40:00Z"),
                Scripted.startInOneUtcDay(Instant.parse("2026-12-06T00:10:00Z"), Duration.ofMinutes(30), Duration.ofSeconds(600)));
    }
}
