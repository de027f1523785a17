package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.sink.Sink;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Which events the sink takes under raw-event retention, against the partition drop's own rule. */
class RetentionCutoffTest {

    private static final long HOUR = TimeUnit.HOURS.toMillis(1);
    private static final long DAY = TimeUnit.DAYS.toMillis(1);

    private static EventRecord at(Instant occurred) {
        return new EventRecord(UUID.randomUUID(), EventType.OPEN, 0, occurred.toEpochMilli() * 1000, null, "ua",
                new EventFields(UUID.randomUUID(), UUID.randomUUID(), "c", "m", "e", "l", "s", null), null, Map.of());
    }

    private static long millis(String instant) {
        return Instant.parse(instant).toEpochMilli();
    }

    @Test
    void retentionZeroKeepsEverything() {
        RetentionCutoff forever = new RetentionCutoff(0, () -> millis("2026-12-04T12:00:00Z"));
        assertNull(forever.refusal(at(Instant.parse("1999-01-01T00:00:00Z"))));
    }

    @Test
    void aNegativeRetentionIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RetentionCutoff(-1, System::currentTimeMillis));
    }

    @Test
    void theOldestDayKeptIsTakenAndTheDayBeforeItRefusedWithTheSettingNamed() {
        RetentionCutoff cutoff = new RetentionCutoff(7, () -> millis("2026-12-04T12:00:00Z"));
        assertNull(cutoff.refusal(at(Instant.parse("2026-11-27T00:00:00Z"))));
        Sink.Refusal r = cutoff.refusal(at(Instant.parse("2026-11-26T23:59:59.999Z")));
        assertNotNull(r);
        assertEquals("retention", r.code());
        assertTrue(r.reason().contains("before 2026-11-27 (UTC)"), r.reason());
        assertTrue(r.reason().contains("kept 7 days (edge.database.retention-days)"), r.reason());
    }

    @Test
    void fromAnHourBeforeMidnightTheOldestDayIsRefused() {
        AtomicLong clock = new AtomicLong(millis("2026-12-04T22:59:59.999Z"));
        RetentionCutoff cutoff = new RetentionCutoff(7, clock::get);
        EventRecord oldestDay = at(Instant.parse("2026-11-27T12:00:00Z"));
        assertNull(cutoff.refusal(oldestDay), "its partition is dropped after midnight, more than an hour away");
        clock.set(millis("2026-12-04T23:00:00Z"));
        assertNotNull(cutoff.refusal(oldestDay), "its partition is dropped within the hour");
        assertNull(cutoff.refusal(at(Instant.parse("2026-11-28T00:00:00Z"))));
    }

    @Test
    void aDayRetentionDroppedIsRefusedWhateverTheSettingSaysNow() {
        for (int retention : new int[] {0, 30}) {
            RetentionCutoff cutoff = new RetentionCutoff(retention, () -> millis("2026-12-04T12:00:00Z"));
            cutoff.reckon(0, LocalDate.parse("2026-11-26")); // dropped when retention was 7
            Sink.Refusal r = cutoff.refusal(at(Instant.parse("2026-11-26T23:59:59.999999Z")));
            assertNotNull(r, "retention " + retention);
            assertTrue(r.reason().contains("on or before 2026-11-26 (UTC), the last day retention dropped"), r.reason());
            assertNull(cutoff.refusal(at(Instant.parse("2026-11-27T00:00:00Z"))), "retention " + retention);
        }
    }

    /** A batch's check inside its transaction: the whole mark day is dropped, the next day's first microsecond is not. */
    @Test
    void aBatchWithAnEventOfTheMarkDayOrBeforeIsStopped() throws Exception {
        LocalDate mark = LocalDate.of(2026, 11, 20);
        long nextDay = mark.plusDays(1).atStartOfDay(ZoneOffset.UTC).toEpochSecond() * 1_000_000L;
        DroppedMeanwhileException e = assertThrows(DroppedMeanwhileException.class,
                () -> RetentionCutoff.ensureNotDropped(mark, nextDay - 1));
        assertTrue(e.getMessage().contains("2026-11-20"), e.getMessage());
        assertNull(e.getSQLState(), "no SQLState: the sink counts it transient and reads the batch again");
        RetentionCutoff.ensureNotDropped(mark, nextDay);
        RetentionCutoff.ensureNotDropped(null, 0);
        RetentionCutoff.ensureNotDropped(mark, Long.MAX_VALUE); // a batch that copied nothing
    }

    @Test
    void theDayIsReckonedOnTheDatabasesClock() {
        RetentionCutoff cutoff = new RetentionCutoff(7, () -> millis("2026-12-02T12:00:00Z"));
        EventRecord e = at(Instant.parse("2026-11-26T12:00:00Z"));
        assertNull(cutoff.refusal(e), "kept by our clock");
        cutoff.reckon(TimeUnit.DAYS.toMillis(2), null); // the database's clock two days ahead of ours
        assertNotNull(cutoff.refusal(e), "dropped by the database's");
    }

    /**
     * For every retention up to 31 days and every 5 minutes of a day: the oldest day taken is one the
     * drop (sql/V26: a partition whose day is before the database's UTC date less the retention) keeps
     * for at least the margin, the day before it is one the drop takes within the margin, and an event
     * the ingest API accepts (no older than the retention less two hours) is taken when the sink writes
     * it up to an hour later (before, with one hour, one accepted before 23:00 UTC and written after was not).
     */
    @Test
    void theCutoffMatchesThePartitionDropAndTakesWhatTheIngestApiAccepts() {
        long start = millis("2026-12-04T00:00:00Z");
        for (int retention = 1; retention <= 31; retention++) {
            for (long now = start; now < start + DAY; now += TimeUnit.MINUTES.toMillis(5)) {
                long cutoffMillis = RetentionCutoff.cutoffMicros(retention, now) / 1000;
                LocalDate oldestTaken = LocalDate.ofInstant(Instant.ofEpochMilli(cutoffMillis), ZoneOffset.UTC);
                String at = "retention " + retention + " at " + Instant.ofEpochMilli(now);
                assertEquals(0, Math.floorMod(cutoffMillis, DAY), at + ": a day's start");
                long margin = now + RetentionCutoff.MARGIN.toMillis();
                assertFalse(dropped(oldestTaken, margin, retention), at + ": the oldest day taken is kept for the margin");
                assertTrue(dropped(oldestTaken.minusDays(1), margin, retention), at + ": the day before is gone within it");
                long oldestIngested = now - retention * DAY + 2 * HOUR;
                for (long lag : new long[] {0, HOUR - 1}) {
                    long written = RetentionCutoff.cutoffMicros(retention, now + lag) / 1000;
                    assertTrue(oldestIngested >= written, at + ", written " + lag + " ms later: what the ingest API accepts is taken");
                }
            }
        }
    }

    /** The drop's rule, as email_events_drop_partitions_older_than states it. */
    private static boolean dropped(LocalDate partition, long atMillis, int retention) {
        LocalDate today = LocalDate.ofInstant(Instant.ofEpochMilli(atMillis), ZoneOffset.UTC);
        return partition.isBefore(today.minusDays(retention));
    }
}
