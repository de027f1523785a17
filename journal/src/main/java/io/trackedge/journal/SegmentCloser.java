package io.trackedge.journal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Does a journal's slow file work off the writer's thread, one task at a time, in order: forces
 * each segment the writer rolls away from to the device, closes it and forces the directory (the new
 * segment's entry); and deletes the segments every sink has passed ({@link ClosedSegments}).
 *
 * <p>Why: a roll used to force the whole segment it left before the next write. With 64 MiB
 * segments mostly still in the page cache that took tens of milliseconds on a VM's disk, and every
 * {@code ack=journal} answer that arrived meanwhile waited for it (pixel p99 at 57,000/s: 12 to 19
 * ms with rolls in the window, 5 ms without; docs/benchmarks.md). Only {@code ack=fsync} promises
 * that an answered event survives power loss, and its writer calls {@link #awaitSynced} before each
 * batch's own fsync, so what it promises still holds when it answers.
 *
 * <p>{@link #closeLater}, {@link #later} and {@link #awaitSynced} are called by the writer's thread
 * only.
 */
final class SegmentCloser implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SegmentCloser.class);

    private final Path dir;
    private final JournalStats stats;
    private final Executor executor;
    /** The thread this closer started, or null when it was given an executor. */
    private final ExecutorService own;
    private final DirectorySync dirSync;
    /** The newest task handed over: the executor runs them one at a time, in order. */
    private CompletableFuture<Void> last = CompletableFuture.completedFuture(null);
    /**
     * The newest sync handed over, which {@link #awaitSynced} waits for: not the deletions handed
     * over after it (those before it run first, the executor keeping the order).
     */
    private CompletableFuture<Void> lastSync = last;
    /** The first sync that failed since {@link #awaitSynced} last reported one. */
    private final AtomicReference<IOException> failure = new AtomicReference<>();

    /** A closer with a daemon thread of its own, {@code journal-segment-sync}. */
    SegmentCloser(Path dir, JournalStats stats) {
        this.dir = dir;
        this.dirSync = DirectorySync.probe(dir);
        this.stats = stats;
        this.own = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "journal-segment-sync");
            t.setDaemon(true);
            return t;
        });
        this.executor = own;
    }

    /** A closer whose syncs run on {@code executor}, which must run one task at a time, in order. */
    SegmentCloser(Path dir, JournalStats stats, Executor executor) {
        this.dir = dir;
        this.dirSync = DirectorySync.probe(dir);
        this.stats = stats;
        this.own = null;
        this.executor = executor;
    }

    /**
     * Hands over a segment the writer has left: forced, closed and its directory forced later. When
     * the executor refuses it (the closer is closing), that is done now, on the caller's thread.
     */
    void closeLater(FileChannel segment, long base) {
        stats.segmentSyncsPending.incrementAndGet();
        lastSync = later(() -> sync(segment, base));
    }

    /**
     * Runs {@code task} after every task handed over before it; now, on the caller's thread, when the
     * executor refuses it (the closer is closing). The task must not throw: it records its own
     * failures, since a failed future would fail every later {@link #awaitSynced}.
     *
     * @return the task's completion
     */
    CompletableFuture<Void> later(Runnable task) {
        try {
            last = CompletableFuture.runAsync(task, executor);
        } catch (RejectedExecutionException e) {
            last.join();
            task.run();
            last = CompletableFuture.completedFuture(null);
        }
        return last;
    }

    /**
     * Waits until every segment handed over so far is forced and closed.
     *
     * @throws IOException the first of their syncs that failed since the last call reported one
     */
    void awaitSynced() throws IOException {
        lastSync.join(); // sync() records its failures and never throws
        IOException f = failure.getAndSet(null);
        if (f != null) {
            throw f;
        }
    }

    /** Waits until every task handed over so far has run (tests, to see a deletion's outcome). */
    void awaitIdle() {
        last.join();
    }

    /**
     * Hands over the directory entry of a new journal's first segment, at {@code base}: forced later,
     * and a failure counted and raised as a segment's sync failure is (no segment is closed: only a
     * failure is counted).
     */
    void newSegmentLater(long base) {
        lastSync = later(() -> {
            try {
                dirSync.force();
            } catch (IOException | RuntimeException | Error e) {
                failed("the directory entry of new journal segment " + base, e);
            }
        });
    }

    /** The bytes of a segment left behind, then the directory, whatever became of the bytes. */
    private void forceAndClose(FileChannel segment) throws IOException {
        IOException error = null;
        try (segment) {
            segment.force(false);
        } catch (IOException e) {
            error = e;
        }
        try {
            // The new segment's entry: ack=fsync answers for records in the new segment once its own fsync returns.
            dirSync.force();
        } catch (IOException e) {
            if (error == null) {
                error = e;
            } else {
                error.addSuppressed(e);
            }
        }
        if (error != null) {
            throw error;
        }
    }

    private void sync(FileChannel segment, long base) {
        long t0 = System.nanoTime();
        try {
            forceAndClose(segment);
            stats.segmentSyncs.incrementAndGet();
        } catch (IOException | RuntimeException | Error e) {
            failed("closed journal segment " + base + " (or the directory entry of the next)", e);
        } finally {
            stats.segmentSyncNanos.addAndGet(System.nanoTime() - t0);
            stats.segmentSyncsPending.decrementAndGet();
        }
    }

    /**
     * Records written may not survive a power cut: their bytes, or the directory entry that finds them,
     * could not be forced. Counted, logged, and raised by the next awaitSynced (ack=fsync's next
     * batch). Never thrown on the closer's thread: a failed future would fail every later force.
     */
    private void failed(String what, Throwable e) {
        stats.segmentSyncFailures.incrementAndGet();
        log.error("fsync of {} failed; its records may not survive a power loss", what, e);
        failure.compareAndSet(null, new IOException("fsync of " + what + " failed", e));
    }

    /**
     * Waits for the tasks handed over and stops the closer's own thread. A failed sync is not raised
     * here: {@link JournalWriter#close} asks {@link #awaitSynced} first.
     */
    @Override
    public void close() {
        last.join();
        if (own != null) {
            own.shutdown();
            try {
                own.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
