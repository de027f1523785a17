package io.trackedge.sink.postgres;

import io.trackedge.journal.EventRecord;
import io.trackedge.sink.Sink;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The oldest raw event the Postgres sink still writes. With raw events kept {@code retentionDays},
 * one of a UTC day whose {@code email_events} partition the retention drop
 * ({@code email_events_drop_partitions_older_than}, sql/V26) has taken, or will take within
 * {@link #MARGIN}, is refused; so is one of a day on or before the last day a retention run recorded
 * as dropped ({@code email_events_dropped_through}, V31), whatever the setting says now (it may have
 * been raised since). Written anyway, such an event would land in the default partition, past
 * retention, and the late-event re-run of its day would replace that day's roll-up rows with a
 * count of it alone. The ingest API refuses such events at the door (LineValidator, with this
 * margin and an hour more for the way to the sink); this catches those that reach the sink later (a
 * sink far behind, an edge whose clock runs behind the database's) and replays of set-aside events.
 *
 * <p>Reckoned on the database's clock, as the drop is: {@link #measure} takes its offset from ours
 * and reads the days dropped, at connect and again every {@link #REMEASURE} ({@link #due}). A
 * drop between two reads is caught by the batch's own transaction ({@link #ensureNotDropped}). Not
 * thread-safe: one per sink loop, or one per replay.
 */
final class RetentionCutoff {

    /** How long the partition of the oldest event taken outlives it at least: a write's transaction is far shorter. */
    static final Duration MARGIN = Duration.ofHours(1);

    static final String CODE = "retention";

    /**
     * How often a sink reads the days dropped again: a node whose retention-days is shorter may drop
     * while the sink runs. Until then a batch that holds an event of a day just dropped is caught in
     * its own transaction ({@link #ensureNotDropped}), rolled back and read again.
     */
    static final Duration REMEASURE = Duration.ofMinutes(1);

    private static final long DAY_MILLIS = TimeUnit.DAYS.toMillis(1);
    private static final long DAY_MICROS = TimeUnit.DAYS.toMicros(1);
    private static final long MARGIN_MILLIS = MARGIN.toMillis();

    private final int retentionDays;
    private final LongSupplier clockMillis;
    private long offsetMillis; // the database's clock less ours
    private long droppedBeforeMicros = Long.MIN_VALUE; // the start of the day after the last recorded as dropped
    private long cutoffMicros = Long.MIN_VALUE;
    private long validUntilMillis = Long.MIN_VALUE; // on the database's clock
    private long measuredAtMillis = Long.MIN_VALUE; // on ours

    /** @param retentionDays days of raw events kept ({@code edge.database.retention-days}); 0 keeps them forever */
    RetentionCutoff(int retentionDays, LongSupplier clockMillis) {
        if (retentionDays < 0) {
            throw new IllegalArgumentException("retention days must not be negative, got " + retentionDays);
        }
        this.retentionDays = retentionDays;
        this.clockMillis = clockMillis;
    }

    RetentionCutoff(int retentionDays) {
        this(retentionDays, System::currentTimeMillis);
    }

    /** Reads the database's clock and the last day retention dropped, through {@code c}, and reckons by them from now on. */
    void measure(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            long before = clockMillis.getAsLong();
            try (ResultSet r = s.executeQuery("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint,"
                    + " (SELECT max(day) FROM email_events_dropped_through)")) {
                r.next();
                long theirs = r.getLong(1);
                long ours = (before + clockMillis.getAsLong()) / 2;
                LocalDate dropped = r.getObject(2, LocalDate.class);
                reckon(theirs - ours, dropped);
                measuredAtMillis = ours;
            }
        }
    }

    /** Whether {@link #REMEASURE} has passed since the last {@link #measure}. */
    boolean due() {
        return clockMillis.getAsLong() - measuredAtMillis >= REMEASURE.toMillis();
    }

    /** Reckons with the database's clock {@code offsetMillis} ahead of ours and days dropped through {@code dropped} (or none). */
    void reckon(long offsetMillis, LocalDate dropped) {
        this.offsetMillis = offsetMillis;
        this.droppedBeforeMicros = dropped == null ? Long.MIN_VALUE : (dropped.toEpochDay() + 1) * DAY_MICROS;
        this.validUntilMillis = Long.MIN_VALUE;
    }

    /**
     * Why {@code e} is not written, or null when its day is kept. A day retention dropped is named
     * first: raising the setting never lets its events in again.
     */
    Sink.Refusal refusal(EventRecord e) {
        long at = e.occurredAtMicros();
        if (at < droppedBeforeMicros) {
            return new Sink.Refusal(CODE, "occurred at " + instant(at) + ", on or before "
                    + LocalDate.ofEpochDay(droppedBeforeMicros / DAY_MICROS - 1) + " (UTC), the last day retention dropped "
                    + "(email_events_dropped_through): a day once dropped takes no events, whatever edge.database.retention-days "
                    + "says now (" + retentionDays + " here; 0 keeps raw events forever)");
        }
        if (retentionDays == 0) {
            return null;
        }
        long now = clockMillis.getAsLong() + offsetMillis;
        if (now >= validUntilMillis) {
            cutoffMicros = cutoffMicros(retentionDays, now);
            validUntilMillis = (Math.floorDiv(now + MARGIN_MILLIS, DAY_MILLIS) + 1) * DAY_MILLIS - MARGIN_MILLIS;
        }
        if (at >= cutoffMicros) {
            return null;
        }
        return new Sink.Refusal(CODE, "occurred at " + instant(at) + ", before "
                + LocalDate.ofEpochDay(Math.floorDiv(cutoffMicros, DAY_MICROS)) + " (UTC), the oldest day kept: raw events are kept "
                + retentionDays + " days (edge.database.retention-days), and an older day's partition is dropped or will be within the hour");
    }

    /**
     * Throws when the oldest event of a batch being written, {@code oldestMicros}, is of a day on or
     * before {@code droppedThrough} (null: none dropped), as read inside the batch's transaction
     * after its COPY: the refusals were reckoned with the days dropped as the sink last read them.
     */
    static void ensureNotDropped(LocalDate droppedThrough, long oldestMicros) throws DroppedMeanwhileException {
        if (droppedThrough != null && oldestMicros < (droppedThrough.toEpochDay() + 1) * DAY_MICROS) {
            throw new DroppedMeanwhileException(droppedThrough);
        }
    }

    private static Instant instant(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000);
    }

    /** The first instant (epoch micros) taken at {@code nowMillis} on the database's clock: the start of the oldest day kept. */
    static long cutoffMicros(int retentionDays, long nowMillis) {
        long day = Math.floorDiv(nowMillis + MARGIN_MILLIS, DAY_MILLIS);
        return (day - retentionDays) * DAY_MICROS;
    }
}
