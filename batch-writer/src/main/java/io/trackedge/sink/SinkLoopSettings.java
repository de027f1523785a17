package io.trackedge.sink;

import java.time.Duration;

/**
 * What a {@link SinkLoop} is built with, checked once here.
 *
 * @param batchSize most events per batch
 * @param linger how long a partial batch waits for more events before it is written
 * @param firstBackoff the first wait after a failure; doubled per failure up to {@code maxBackoff}
 * @param stallAfter no commit for this long while events wait: reported as stalled
 * @param maxConsecutiveBad events set aside in a row, with no commit between, after which the
 *     destination rather than the data is taken to be at fault (the loop retries instead)
 * @param idleWait how long a caught-up loop sleeps before it looks at the journal again when no
 *     {@link SinkLoop#wakeUp} comes: the delay of an event whose writer does not wake the loop
 */
public record SinkLoopSettings(int batchSize, Duration linger, Duration firstBackoff, Duration maxBackoff,
                               Duration stallAfter, int maxConsecutiveBad, Duration idleWait) {

    /** The idle wait of a loop whose journal writer may not wake it: it polls. */
    public static final Duration POLL = Duration.ofMillis(50);

    /** Settings with the {@link #POLL} idle wait. */
    public SinkLoopSettings(int batchSize, Duration linger, Duration firstBackoff, Duration maxBackoff,
                    Duration stallAfter, int maxConsecutiveBad) {
        this(batchSize, linger, firstBackoff, maxBackoff, stallAfter, maxConsecutiveBad, POLL);
    }

    public SinkLoopSettings {
        if (idleWait == null || idleWait.compareTo(Duration.ofMillis(1)) < 0 || idleWait.compareTo(Duration.ofDays(1)) > 0) {
            throw new IllegalArgumentException("idle wait must be from 1 ms to a day, got " + idleWait);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        for (Duration d : new Duration[] {linger, firstBackoff, maxBackoff, stallAfter}) {
            if (d == null || d.isNegative()) {
                throw new IllegalArgumentException("durations must not be negative, got " + d);
            }
        }
        if (firstBackoff.isZero() || stallAfter.isZero() || maxBackoff.compareTo(firstBackoff) < 0) {
            throw new IllegalArgumentException("need 0 < first-backoff <= max-backoff and stall-after > 0, got "
                    + firstBackoff + ", " + maxBackoff + ", " + stallAfter);
        }
        if (maxConsecutiveBad < 1) {
            throw new IllegalArgumentException("max consecutive bad events must be at least 1, got " + maxConsecutiveBad);
        }
    }
}
