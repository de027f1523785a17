package io.trackedge.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.config.AckMode;
import io.trackedge.journal.EventType;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.Segments;
import io.trackedge.sink.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The scenario of a stop past its drain budget, for any wait strategy: the appender's first batch
 * holds its thread after the write (as a slow listener or turn would) while a backlog waits in the
 * ring; the drain gives up, the appender is halted, the journal is closed, and then the held thread
 * is let go. Checks that nothing reaches the journal after its close, and returns what the caller
 * checks further.
 *
 * <p>Regression it pins: Disruptor's shutdown (and the inline appender's) gave up at its timeout
 * without stopping the appender, and the stop closed the journal under it: the appender then wrote
 * the backlog into the closed journal (a stray segment file, never synced).
 */
final class HaltedStop {

    /** Events in the first batch, and in the backlog. */
    static final int BATCH = 5;

    /**
     * @param ring the halted ring
     * @param late what its drain threw
     * @param first the first batch's last sequence
     * @param backlog the backlog's last sequence
     */
    record Result(EventRing ring, RingNotDrainedException late, long first, long backlog) {
    }

    private HaltedStop() {
    }

    /**
     * Runs the scenario in {@code dir} and checks it: the halted appender let go of the journal, its
     * thread ends once released, no segment is created nor byte written after the journal's close, only
     * the first batch is in the journal, and the backlog was not taken.
     *
     * @param endBacklog how the backlog's publisher ends its batch ({@link EventRing#endOfPublishBatch} as an
     *     event loop, {@link EventRing#wakeAppender} as an ingest worker)
     */
    static Result run(Path dir, String waitStrategy, AckMode mode, Consumer<EventRing> endBacklog) throws Exception {
        JournalStats stats = new JournalStats();
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<Thread> blocked = new AtomicReference<>();
        Runnable afterWrite = () -> {
            if (blocked.compareAndSet(null, Thread.currentThread())) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        JournalWriter journal = JournalWriter.open(dir, 4L << 20, 64L << 20, stats);
        EventRing ring = new EventRing(1024, waitStrategy, new JournalAppender(journal, mode, afterWrite));
        Result result;
        try {
            long first = publish(ring, 0);
            ring.wakeAppender(); // as an ingest worker does: the batch is the appender thread's
            Thread appenderThread = Await.until("the appender thread to hold its first batch", Duration.ofSeconds(10),
                    blocked::get, t -> t != null);
            long backlog = publish(ring, BATCH);
            endBacklog.accept(ring); // the appender thread holds the turn: left to it

            RingNotDrainedException late = assertThrows(RingNotDrainedException.class,
                    () -> ring.drainAndStop(100, TimeUnit.MILLISECONDS));
            assertTrue(late.journalLetGo(), "the appender was not in a write: " + late.getMessage());
            assertFalse(late.drained(), late.getMessage());
            assertTrue(late.getMessage().contains(BATCH + " events claimed or published and not handled, which are lost"),
                    late.getMessage());
            journal.close();
            List<Long> segmentsAtClose = Segments.list(dir);
            long endAtClose = journal.flushedPosition();

            release.countDown();
            appenderThread.join(TimeUnit.SECONDS.toMillis(10));
            assertFalse(appenderThread.isAlive(), "the halted appender thread did not end");
            assertEquals(segmentsAtClose, Segments.list(dir), "a segment was created after the journal closed");
            assertEquals(endAtClose, journal.flushedPosition());
            assertEquals(BATCH, stats.appendedRecords.get(), "only the first batch is in the journal");
            assertTrue(ring.appender().handledSequence() < backlog, "the halted appender took the backlog");
            result = new Result(ring, late, first, backlog);
        } finally {
            release.countDown();
            journal.close();
        }
        return result;
    }

    /** Publishes {@link #BATCH} events numbered from {@code from}; returns the last one's sequence. */
    private static long publish(EventRing ring, int from) {
        long last = -1;
        for (int i = from; i < from + BATCH; i++) {
            last = ring.tryClaim();
            ring.slot(last).reset(EventType.OPEN, 1, i, 1_000_000L * i);
            ring.publish(last);
        }
        return last;
    }
}
