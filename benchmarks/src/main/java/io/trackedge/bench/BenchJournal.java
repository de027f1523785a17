package io.trackedge.bench;

import io.trackedge.config.AckMode;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.ring.EventRing;
import io.trackedge.ring.JournalAppender;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real journal in a temporary directory, its appender and the ring in front of it, wired as
 * {@code EdgeApp} wires them with the default config (ring of 65536, blocking wait strategy unless a
 * benchmark asks for another). A benchmark writes millions of
 * events, so a daemon thread stands in for the batch writer and releases written segments every
 * 20 ms; without it the journal would hit its cap and the appender would start shedding instead of
 * writing, which is cheaper and not the steady state.
 */
final class BenchJournal implements AutoCloseable {

    static final int RING_SIZE = 65536;
    private static final long SEGMENT_BYTES = 4L << 20;
    private static final long MAX_BYTES = 256L << 20;

    final Path dir;
    final JournalStats stats = new JournalStats();
    final JournalWriter writer;
    final JournalAppender appender;
    final EventRing ring;
    private final ScheduledExecutorService releaser;

    BenchJournal(AckMode mode) {
        this(mode, "blocking");
    }

    /** @param waitStrategy the appender's wait strategy: batched (the default of reference.conf), blocking, sleeping or yielding */
    BenchJournal(AckMode mode, String waitStrategy) {
        try {
            dir = Files.createTempDirectory("trackedge-bench-journal");
            writer = JournalWriter.open(dir, SEGMENT_BYTES, MAX_BYTES, stats);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        appender = new JournalAppender(writer, mode, () -> { });
        ring = new EventRing(RING_SIZE, waitStrategy, appender);
        releaser = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-journal-releaser");
            t.setDaemon(true);
            return t;
        });
        releaser.scheduleWithFixedDelay(() -> writer.releaseBefore(writer.flushedPosition()), 20, 20, TimeUnit.MILLISECONDS);
    }

    /** Waits until the appender has handled every sequence up to {@code sequence}. */
    void awaitHandled(long sequence) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (appender.handledSequence() < sequence) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("appender stuck at " + appender.handledSequence() + ", waiting for " + sequence);
            }
            Thread.onSpinWait();
        }
    }

    /** One line for the benchmark log: how many events reached the file and how many were shed. */
    String report(String what, long requests) {
        return String.format("%n[%s] requests=%d journaled=%d droppedAtCap=%d writes=%d segmentsDeleted=%d",
                what, requests, stats.appendedRecords.get(), stats.droppedAtCap.get(), stats.writes.get(),
                stats.segmentsDeleted.get());
    }

    @Override
    public void close() throws Exception {
        releaser.shutdownNow();
        ring.drainAndStop(10, TimeUnit.SECONDS);
        writer.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
