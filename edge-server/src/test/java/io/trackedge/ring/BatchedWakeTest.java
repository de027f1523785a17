package io.trackedge.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.trackedge.config.AckMode;
import io.trackedge.journal.EventType;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.sink.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code batched} wait: publishers wake the appender once per batch, and nothing is stranded without a wake. */
class BatchedWakeTest {

    @TempDir
    Path dir;

    private long publish(EventRing ring, int n) {
        long last = -1;
        for (int i = 0; i < n; i++) {
            long s = ring.tryClaim();
            ring.slot(s).reset(EventType.OPEN, 1, i, 1_000_000L * i);
            ring.publish(s);
            last = s;
        }
        return last;
    }

    private static void awaitHandled(EventRing ring, long sequence) {
        Await.until("the appender to handle sequence " + sequence, Duration.ofSeconds(10),
                () -> ring.appender().handledSequence(), handled -> handled >= sequence);
        assertEquals(sequence, ring.appender().handledSequence());
    }

    /**
     * Journals one event (woken), which tells us the appender's thread through {@code afterWrite},
     * then waits until that thread is parked in the wait strategy: the state the tests start from.
     */
    private void awaitAsleep(EventRing ring, AtomicReference<Thread> appenderThread) {
        long first = publish(ring, 1);
        ring.wakeAppender();
        awaitHandled(ring, first);
        // afterWrite may run just after the handled sequence moves: wait for it to name the thread
        Thread t = Await.until("the appender's afterWrite to run", Duration.ofSeconds(10), appenderThread::get, x -> x != null);
        Await.until("the appender to park", Duration.ofSeconds(10), t::getState, s -> s == Thread.State.TIMED_WAITING);
    }

    @Test
    void aBatchWokenOnceIsJournaledInAFewWritesNotOnePerEvent() throws Exception {
        JournalStats stats = new JournalStats();
        AtomicInteger writes = new AtomicInteger();
        try (JournalWriter journal = JournalWriter.open(dir, 4L << 20, 64L << 20, stats)) {
            AtomicReference<Thread> appenderThread = new AtomicReference<>();
            EventRing ring = new EventRing(1024, "batched", new JournalAppender(journal, AckMode.MEMORY, () -> {
                appenderThread.set(Thread.currentThread());
                writes.incrementAndGet();
            }));
            try {
                assertTrue(ring.publishersWake());
                awaitAsleep(ring, appenderThread);
                writes.set(0);
                long t0 = System.nanoTime();
                long last = publish(ring, 100);
                ring.wakeAppender();
                long publishMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                awaitHandled(ring, last);
                assertEquals(101, stats.appendedRecords.get());
                // One wake-up, one write, on a fast publisher. Unwoken, the appender also wakes on its
                // timer (IdleBackoff: 1 ms, then longer) while a slow publisher (a cold JIT, a busy box) is still at it,
                // and writes what it finds, perhaps twice per tick; one write per event would be 100.
                assumeTrue(publishMillis < 20, "publishing 100 events took " + publishMillis + " ms: too slow to tell");
                assertTrue(writes.get() < 50,
                        "the batch was written in " + writes.get() + " writes over " + publishMillis + " ms: one per event");
            } finally {
                ring.drainAndStop(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void anEventWhosePublisherNeverWakesTheAppenderIsStillJournaled() throws Exception {
        JournalStats stats = new JournalStats();
        try (JournalWriter journal = JournalWriter.open(dir, 4L << 20, 64L << 20, stats)) {
            AtomicReference<Thread> appenderThread = new AtomicReference<>();
            EventRing ring = new EventRing(1024, "batched",
                    new JournalAppender(journal, AckMode.MEMORY, () -> appenderThread.set(Thread.currentThread())));
            awaitAsleep(ring, appenderThread);
            long last = publish(ring, 3);
            awaitHandled(ring, last); // by the appender's own bounded sleep
            assertEquals(4, stats.appendedRecords.get());
            long t0 = System.nanoTime();
            ring.drainAndStop(5, TimeUnit.SECONDS);
            // Well under the 5 s drain timeout: the halt ended the wait, not the timeout (generous, for a loaded machine).
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(3), "the halt wakes the appender");
        }
    }

    /** A stop past its drain budget halts the appender, and nothing is written after the journal closes ({@link HaltedStop}). */
    @Test
    void aStopPastItsDrainBudgetHaltsTheAppenderAndNothingIsWrittenAfterTheJournalCloses() throws Exception {
        HaltedStop.run(dir, "batched", AckMode.MEMORY, EventRing::wakeAppender);
    }
}
