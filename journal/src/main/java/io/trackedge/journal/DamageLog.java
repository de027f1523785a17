package io.trackedge.journal;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one {@link JournalReader} skipped as damage: each region logged as a warning, counted (any
 * thread may read the counts) and told to the reader's listener, on the reader's thread.
 */
final class DamageLog {

    private static final Logger log = LoggerFactory.getLogger(JournalReader.class);

    private final AtomicLong regions = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private JournalReader.DamageListener listener = (from, to) -> { };

    void listener(JournalReader.DamageListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    long regions() {
        return regions.get();
    }

    long bytes() {
        return bytes.get();
    }

    /** The journal from {@code from} up to {@code to} was skipped; {@code warning} and its arguments say why. */
    void skipped(long from, long to, String warning, Object... args) {
        log.warn(warning, args);
        regions.incrementAndGet();
        bytes.addAndGet(to - from);
        listener.skipped(from, to);
    }
}
