package io.trackedge.sink;

import io.trackedge.journal.JournalReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * What a sink reports about itself, read by metrics and readiness from any thread. Written only by
 * the sink's own thread.
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
    /** Occurred-at (epoch micros) of the oldest event read but not yet committed; 0 when caught up. */
    public final AtomicLong oldestPendingMicros = new AtomicLong();
    public volatile boolean up;
    public volatile String lastError = "";
    public volatile long downSinceMillis;

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
