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
