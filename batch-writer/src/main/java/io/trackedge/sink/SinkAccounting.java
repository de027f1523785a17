package io.trackedge.sink;

import java.nio.file.Path;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a {@link SinkLoop}'s turns mean for the figures others read: each open, read, catch-up,
 * commit, set-aside, skipped damage and failure is counted into the sink's {@link SinkStats}, moves
 * its {@link SinkHealth} (progress, retrying, stalled), passes a new committed position to the
 * loop's {@code onCommitted}, and steps or resets the retry {@link Backoff}: a failure returns the
 * wait before the next try, at least a {@link RetryLaterException}'s. Confined to the loop's thread;
 * the stats and health it writes are read from any.
 */
final class SinkAccounting implements BadEventFinder.Progress {

    // The loop's lines: an operator's log settings name the loop.
    private static final Logger log = LoggerFactory.getLogger(SinkLoop.class);

    private final Sink sink;
    private final Path journalDir;
    private final LongSupplier journalLimit;
    private final SinkStats stats;
    private final SinkHealth health;
    private final LongConsumer onCommitted;
    private final LongSupplier oldestInFlightMicros;
    private final Backoff backoff;
    private long lastOpenedAt = -1;
    /** The journal position past the last damage counted: a retry that reads past it again counts nothing. */
    private long damageCountedTo = -1;

    /**
     * @param oldestInFlightMicros when the oldest event of the batches still in flight was received, or 0
     */
    SinkAccounting(Sink sink, Path journalDir, LongSupplier journalLimit, SinkLoopSettings settings, SinkStats stats,
                   SinkHealth health, LongConsumer onCommitted, LongSupplier oldestInFlightMicros) {
        this.sink = sink;
        this.journalDir = journalDir;
        this.journalLimit = journalLimit;
        this.stats = stats;
        this.health = health;
        this.onCommitted = onCommitted;
        this.oldestInFlightMicros = oldestInFlightMicros;
        this.backoff = new Backoff(settings.firstBackoff(), settings.maxBackoff());
    }

    /** The sink opened at its committed {@code cursor}; a failure it got past ({@link Sink#takeOpenFailure}) is counted. */
    void opened(long cursor) {
        if (sink.takeOpenFailure() != null) {
            stats.failures.incrementAndGet(); // the sink logged it; its state stays: the open went on
        }
        stats.committedPosition.set(cursor);
        stats.oldestPendingMicros.set(0); // what a failure estimated: the first read sets the real one
        onCommitted.accept(cursor);
        if (stats.batches.get() == 0 && stats.backlogAtStart.get() == 0) {
            stats.backlogAtStart.set(stats.countBacklog(journalDir, cursor, journalLimit));
        }
        if (cursor != lastOpenedAt) {
            log.info("{} sink reading from journal position {}", sink.name(), cursor);
            lastOpenedAt = cursor;
        }
    }

    /**
     * {@code in} holds events: after the reaping, whose commits set the pending time to the batches still
     * in flight or to 0, the batch being read, about to be written (a sink of one batch at a time,
     * PostHog's, writes it here and waits), is pending from now on.
     */
    void reading(BatchReader in) {
        if (stats.oldestPendingMicros.get() == 0) {
            stats.oldestPendingMicros.set(in.firstReceivedAtMicros());
        }
    }

    /** Everything read is committed and the journal holds nothing more. */
    void caughtUp() {
        stats.oldestPendingMicros.set(0);
        health.caughtUp();
    }

    /** Counts a region the reader skipped as damage, unless a retry is reading past it again. */
    void damaged(long from, long to) {
        if (to <= damageCountedTo) {
            return;
        }
        stats.journalDamagedRegions.incrementAndGet();
        stats.journalDamagedBytes.addAndGet(to - from);
        damageCountedTo = to;
    }

    /** {@code b} is committed; {@code rows} as the destination counted them, null for one a row each. */
    @Override
    public void committed(Batch b, Integer rows) {
        stats.batches.incrementAndGet();
        stats.rows.addAndGet(rows == null ? b.size() : rows);
        stats.committedEvents.addAndGet(b.size());
        stats.committedPosition.set(b.end());
        // The next batch in flight is pending still: with none, the one being read sets its own (reading).
        stats.oldestPendingMicros.set(oldestInFlightMicros.getAsLong());
        onCommitted.accept(b.end());
        // Events given up unsent keep a running sink running, but do not bring a failing one back: its
        // destination has still taken nothing.
        if (sink.delivered(b, rows) || health.state() == SinkHealth.State.RUNNING || health.state() == SinkHealth.State.STARTING) {
            backoff.reset();
            health.progressed();
        }
    }

    @Override
    public void setAside(BadRecord bad) {
        stats.badEvents.incrementAndGet();
        stats.committedEvents.incrementAndGet();
        stats.committedPosition.set(bad.next());
        onCommitted.accept(bad.next());
        health.progressed(); // the cursor moved: a long run of set-asides is not a stall
    }

    /**
     * Counts the failure, marks the sink retrying (stalled once that lasts) and logs the first of a run.
     *
     * @return how long to wait before trying again, in milliseconds
     */
    long failed(Throwable e) {
        stats.failures.incrementAndGet();
        pendingWhileFailing();
        String error = Failures.describe(e);
        boolean first = health.state() != SinkHealth.State.RETRYING && health.state() != SinkHealth.State.STALLED;
        health.failed(error);
        if (first) {
            log.warn("{} sink failing, will retry with backoff: {}", sink.name(), error);
        } else {
            log.debug("{} sink still failing: {}", sink.name(), error, e);
        }
        long wait = backoff.nextMillis();
        if (e instanceof RetryLaterException r) {
            wait = Math.max(wait, r.retryAfter().toMillis());
        }
        return wait;
    }

    /** The loop has ended. */
    void stopped() {
        health.stopped();
    }

    /**
     * A sink that cannot open or write reads nothing, so nothing set its lag: it counts from the first
     * record past its committed position, or, before any open in this process, from the first record
     * appended since the start (the destination's cursor is unknown: a lower bound, and the stall
     * alert covers a backlog from before the start). It read 0 for a destination down from the start.
     */
    private void pendingWhileFailing() {
        if (stats.oldestPendingMicros.get() != 0) {
            return;
        }
        long from = lastOpenedAt >= 0 ? stats.committedPosition.get() : Math.max(0, stats.backlogEnd.get());
        if (lastOpenedAt < 0 && from <= 1) {
            from = 0; // set to 1 for a journal empty at the start: its first record is at 0
        }
        stats.pendingFrom(journalDir, from, journalLimit);
    }
}
