package io.trackedge.stats;

import java.time.Duration;
import java.util.Locale;

/**
 * The time granularity of the rows. {@code auto} picks hour under 2 days, day under 92 days, week
 * under 183 days, month beyond; {@code total} is one row for the whole range.
 */
public enum Bucket {
    HOUR, DAY, WEEK, MONTH, TOTAL;

    /** Hour buckets over more than this many days are refused: too many rows to be useful. */
    static final Duration MAX_HOURLY_RANGE = Duration.ofDays(31);

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * As {@link #auto(Duration)}, by calendar days in {@code zone}: a range of 92 days across a
     * daylight-saving change is 92 days there, though an hour short of 92 times 24 hours.
     */
    public static Bucket auto(java.time.Instant from, java.time.Instant to, java.time.ZoneId zone) {
        java.time.ZonedDateTime start = from.atZone(zone);
        if (to.isBefore(start.plusDays(2).toInstant())) {
            return HOUR;
        }
        if (to.isBefore(start.plusDays(92).toInstant())) {
            return DAY;
        }
        return to.isBefore(start.plusDays(183).toInstant()) ? WEEK : MONTH;
    }

    public static Bucket auto(Duration range) {
        if (range.compareTo(Duration.ofDays(2)) < 0) {
            return HOUR;
        }
        if (range.compareTo(Duration.ofDays(92)) < 0) {
            return DAY;
        }
        return range.compareTo(Duration.ofDays(183)) < 0 ? WEEK : MONTH;
    }
}
