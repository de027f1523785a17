package io.trackedge.sink;

import io.trackedge.journal.CorruptRecordException;
import io.trackedge.journal.JournalReader;
import io.trackedge.journal.RecordCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * What a sink reports about itself, read by metrics and readiness from any thread. Written only by
 * the sink's loop. Its state (running, retrying, stalled) is {@link SinkHealth}.
 */
public final class SinkStats {
    public final AtomicLong batches = new AtomicLong();
    public final AtomicLong rows = new AtomicLong();
    public final AtomicLong failures = new AtomicLong();
    /** Journal position committed in the destination. */
    public final AtomicLong committedPosition = new AtomicLong();
    /** Events committed since this process started. */
    public final AtomicLong committedEvents = new AtomicLong();
    /** Events that were past the cursor when the sink started (counted up to {@link #backlogEnd}). */
    public final AtomicLong backlogAtStart = new AtomicLong();
    /**
     * The journal's end when the process started, set by the owner before anything is appended:
     * the backlog is counted up to here, and everything after it is counted by the writer, so no
     * event is counted twice. 0: count to the writer's current end.
     */
    public final AtomicLong backlogEnd = new AtomicLong();
    /**
     * When the edge took in (epoch micros) the oldest event read but not yet committed, or, while the
     * sink fails, the oldest past its cursor ({@link #pendingFrom}); 0 when caught up.
     */
    public final AtomicLong oldestPendingMicros = new AtomicLong();
    /** Events set aside because the destination refused their data (or they do not decode). */
    public final AtomicLong badEvents = new AtomicLong();
    /**
     * Regions of the journal the sink's reads skipped as damage (a bad checksum, a segment cut
     * short), and their bytes: events in them never reach the destination. A region read past again
     * after a retry is counted once.
     */
    public final AtomicLong journalDamagedRegions = new AtomicLong();
    public final AtomicLong journalDamagedBytes = new AtomicLong();

    /** Journaled events the sink has not passed yet, given how many the journal appended since start. */
    public long lagEvents(long appendedSinceStart) {
        return Math.max(0, backlogAtStart.get() + appendedSinceStart - committedEvents.get());
    }

    /** Age of the oldest event read and not yet committed; 0 when caught up. */
    public double lagSeconds(long nowMillis) {
        long oldest = oldestPendingMicros.get();
        return oldest == 0 ? 0 : Math.max(0, nowMillis / 1000.0 - oldest / 1e6);
    }

    /**
     * Sets {@link #oldestPendingMicros}, unless set, to when the edge took in the first decodable record
     * from {@code from}: the lag of a sink that reads nothing while it fails. A metric only: unchanged
     * when the journal cannot be read or holds no record there.
     */
    public void pendingFrom(Path journalDir, long from, LongSupplier journalLimit) {
        long[] at = {0};
        try (JournalReader r = new JournalReader(journalDir, from, journalLimit)) {
            while (at[0] == 0 && r.read((p, next, b, o, l) -> {
                try {
                    at[0] = RecordCodec.decode(b, o, l).receivedAtMicros();
                } catch (CorruptRecordException undecodable) {
                    // no time to count from: the next record's
                }
            }, 1) > 0) {
                // read on past undecodable records
            }
        } catch (IOException | UncheckedIOException e) {
            return;
        }
        oldestPendingMicros.compareAndSet(0, at[0]);
    }

    /**
     * Counts the records from {@code from} up to {@link #backlogEnd} (or {@code journalLimit} when
     * that is unset), for {@link #backlogAtStart}. A metric only: 0 when the journal cannot be read.
     */
    public long countBacklog(Path journalDir, long from, LongSupplier journalLimit) {
        LongSupplier limit = backlogEnd.get() > 0 ? backlogEnd::get : journalLimit;
        try (JournalReader r = new JournalReader(journalDir, from, limit)) {
            long n = 0;
            int got;
            while ((got = r.read((p, next, b, o, l) -> { }, 100_000)) > 0) {
                n += got;
            }
            return n;
        } catch (IOException | UncheckedIOException e) {
            return 0;
        }
    }
}
