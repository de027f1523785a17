package io.trackedge.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.config.AckMode;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.journal.EventType;
import io.trackedge.journal.JournalReader;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.RecordCodec;
import io.trackedge.journal.Segments;
import io.trackedge.sink.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code inline} wait: the publishing thread writes its own batch, one thread writes at a time,
 * nothing is written twice or left behind, and what may block (rolls, fsync) stays on the
 * appender thread, and deletions on the journal's closer thread.
 */
class InlineAppenderTest {

    private static final int SEGMENT = 4 << 20;
    private static final byte[] FIELDS = FieldsCodec.encode(new EventFields(UUID.randomUUID(), UUID.randomUUID(),
            "campaign", "mailbox", "email", "lead", "step", null));

    @TempDir
    Path dir;

    /** Publishes events {@code [from, from + n)} of publisher {@code p}, the id's low half naming both. */
    private static long publish(EventRing ring, int p, int from, int n, String userAgent) {
        long last = -1;
        for (int i = from; i < from + n; i++) {
            long s;
            while ((s = ring.tryClaim()) < 0) {
                Thread.onSpinWait(); // the ring is full: the writers catch up
            }
            RingEvent e = ring.slot(s);
            e.reset(EventType.OPEN, p, i, 1_000_000L * i);
            e.fields(FIELDS, 0, FIELDS.length);
            if (userAgent != null) {
                e.userAgent(userAgent);
            }
            ring.publish(s);
            last = s;
        }
        return last;
    }

    /** Waits until the ring's appender has handled every event up to {@code last}. */
    private static void awaitWritten(EventRing ring, long last, String what) {
        Await.until(what, Duration.ofSeconds(10), () -> ring.appender().handledSequence(), h -> h >= last);
    }

    /** An {@code inline} ring whose appender adds each thread that wrote a batch to {@code writers}. */
    private static EventRing inlineRing(JournalWriter journal, AckMode mode, Set<Thread> writers) {
        return new EventRing(1024, "inline", new JournalAppender(journal, mode, () -> writers.add(Thread.currentThread())));
    }

    @Test
    void aPublisherWritesItsOwnBatchBeforeEndOfPublishBatchReturns() throws Exception {
        JournalStats stats = new JournalStats();
        Set<Thread> writers = ConcurrentHashMap.newKeySet();
        try (JournalWriter journal = JournalWriter.open(dir, SEGMENT, 64L << 20, stats)) {
            EventRing ring = inlineRing(journal, AckMode.JOURNAL, writers);
            try {
                assertTrue(ring.publishersWake());
                int handledAtReturn = 0;
                for (int b = 0; b < 100; b++) {
                    long last = publish(ring, 1, b * 5, 5, null);
                    ring.endOfPublishBatch();
                    if (ring.appender().handledSequence() >= last) {
                        handledAtReturn++;
                    }
                }
                // The appender thread ticks every millisecond and may take a batch published just
                // before its tick; the batches are nearly all the publisher's own.
                assertTrue(handledAtReturn >= 50, "only " + handledAtReturn + " of 100 batches were written by their publisher");
                assertTrue(ring.inlineTurns() >= 50, ring.inlineTurns() + " inline turns");
                assertTrue(writers.contains(Thread.currentThread()));
            } finally {
                ring.drainAndStop(5, TimeUnit.SECONDS);
            }
            assertEquals(500, stats.appendedRecords.get());
        }
    }

    @Test
    void underFsyncEveryBatchIsTheAppenderThreads() throws Exception {
        JournalStats stats = new JournalStats();
        Set<Thread> writers = ConcurrentHashMap.newKeySet();
        try (JournalWriter journal = JournalWriter.open(dir, SEGMENT, 64L << 20, stats)) {
            EventRing ring = inlineRing(journal, AckMode.FSYNC, writers);
            try {
                for (int b = 0; b < 20; b++) {
                    long last = publish(ring, 1, b * 5, 5, null);
                    ring.endOfPublishBatch();
                    awaitWritten(ring, last, "batch " + b + " to be written");
                }
            } finally {
                ring.drainAndStop(5, TimeUnit.SECONDS);
            }
            assertFalse(writers.contains(Thread.currentThread()), "an fsync batch was written on the publisher's thread");
            assertEquals(0, ring.inlineTurns());
            assertTrue(stats.fsyncs.get() > 0);
        }
    }

    @Test
    void aReleaseThatFreesASegmentLeavesTheBatchToTheLoopAndTheSegmentToTheCloser() throws Exception {
        JournalStats stats = new JournalStats();
        Set<Thread> writers = ConcurrentHashMap.newKeySet();
        try (JournalWriter journal = JournalWriter.open(dir, SEGMENT, 256L << 20, stats)) {
            // Ten segments before the ring starts, written straight to the journal in large batches.
            RingEvent e = new RingEvent();
            for (int i = 0; i % 500 != 0 || Segments.list(dir).size() < 10; i++) {
                e.reset(EventType.OPEN, 9, i, 1_000_000L * i);
                e.fields(FIELDS, 0, FIELDS.length);
                e.userAgent("Mozilla/5.0 ".repeat(20));
                journal.tryAppend(e);
                if (i % 500 == 499) {
                    journal.flush();
                }
            }
            journal.flush();
            List<Long> bases = Segments.list(dir);
            EventRing ring = inlineRing(journal, AckMode.JOURNAL, writers);
            try {
                int handledAtReturn = 0;
                for (int b = 0; b < 9; b++) {
                    journal.releaseBefore(bases.get(b + 1)); // a sink has passed one more segment
                    long last = publish(ring, 1, b * 3, 3, null);
                    ring.endOfPublishBatch();
                    if (ring.appender().handledSequence() >= last) {
                        handledAtReturn++;
                    }
                    awaitWritten(ring, last, "batch " + b + " to be written");
                }
                // Deleting a 64 MiB segment takes about 15 ms on a VM: a loop's turn only hands it
                // over, so a deletion due no longer sends the batch to the appender thread. (That
                // thread's tick may still take a batch published just before it.)
                assertTrue(handledAtReturn >= 5, "only " + handledAtReturn + " of 9 batches were written by their publisher");
                // The closer takes one deletion at a time, so a release that lands while one is pending
                // is applied at a later write: write one event a poll until every release is applied.
                int[] more = {27};
                Await.until("every released segment to be deleted", Duration.ofSeconds(10), () -> {
                    long one = publish(ring, 1, more[0]++, 1, null);
                    ring.endOfPublishBatch();
                    awaitWritten(ring, one, "an extra event to be written");
                    return stats.segmentsDeleted.get();
                }, d -> d >= 9);
                assertEquals(9, stats.segmentsDeleted.get());
                assertEquals(List.of(bases.get(9)), Segments.list(dir));
            } finally {
                ring.drainAndStop(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void anIdleAppenderThreadBacksOffToItsLongestSleepAndStillWritesAHandOff() throws Exception {
        JournalStats stats = new JournalStats();
        Set<Thread> writers = ConcurrentHashMap.newKeySet();
        try (JournalWriter journal = JournalWriter.open(dir, SEGMENT, 64L << 20, stats)) {
            EventRing ring = inlineRing(journal, AckMode.JOURNAL, writers);
            try {
                Await.until("the idle appender thread to sleep its longest", Duration.ofSeconds(10),
                        ring::appenderParkNanos, p -> p == IdleBackoff.IDLE_PARK);
                long wakes = ring.appenderThreadWakes();
                // An ingest worker's publish: it does not write, it wakes the appender thread.
                long last = publish(ring, 1, 0, 3, null);
                ring.wakeAppender();
                awaitWritten(ring, last, "the woken appender thread to write the events");
                // That the hand-off's unpark, not the 50 ms timer, woke the thread is not checked here: it
                // would take a deadline shorter than the timer. wakeThread's fences did not change with the back-off.
                assertTrue(ring.appenderThreadWakes() > wakes, "no wake counted for the hand-off");
                assertTrue(ring.appenderThreadTurns() >= 1, "the appender thread wrote no batch");
                assertFalse(writers.contains(Thread.currentThread()), "the publisher's thread wrote the batch");
            } finally {
                ring.drainAndStop(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void eventsNoOneHandsOffAreWrittenByTheAppenderThreadsTickAndCountedAsMissedHandOffs() throws Exception {
        JournalStats stats = new JournalStats();
        Set<Thread> writers = ConcurrentHashMap.newKeySet();
        try (JournalWriter journal = JournalWriter.open(dir, SEGMENT, 64L << 20, stats)) {
            EventRing ring = inlineRing(journal, AckMode.JOURNAL, writers);
            try {
                // Published, and neither endOfPublishBatch nor wakeAppender: only the thread's tick finds them.
                long last = publish(ring, 1, 0, 3, null);
                awaitWritten(ring, last, "the appender thread's tick to write the events");
                assertTrue(ring.appenderMissedHandOffs() >= 1, ring.appenderMissedHandOffs() + " missed hand-offs counted");
                assertTrue(!writers.isEmpty() && writers.stream().allMatch(t -> t.getName().equals("journal-appender")),
                        "written by " + writers);
            } finally {
                ring.drainAndStop(5, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Two publishers ending their batches as event loops do and a third that only wakes the appender
     * (an ingest worker), over several segment rolls and with segments released as they are passed:
     * every event is in the journal once, in each publisher's order.
     */
    @Test
    void concurrentPublishersLoseAndRepeatNothingAcrossRollsAndReleases() throws Exception {
        JournalStats stats = new JournalStats();
        int perPublisher = 40_000;
        String ua = "Mozilla/5.0 ".repeat(20); // about 300 bytes an event: some 36 MB, several rolls
        try (JournalWriter journal = JournalWriter.open(dir, SEGMENT, 1L << 30, stats)) {
            EventRing ring = new EventRing(256, "inline", new JournalAppender(journal, AckMode.JOURNAL, () -> { }));
            List<Thread> threads = new ArrayList<>();
            for (int p = 1; p <= 3; p++) {
                int publisher = p;
                threads.add(new Thread(() -> {
                    java.util.Random random = new java.util.Random(publisher);
                    for (int i = 0; i < perPublisher; ) {
                        int n = Math.min(1 + random.nextInt(20), perPublisher - i);
                        publish(ring, publisher, i, n, ua);
                        if (publisher < 3) {
                            ring.endOfPublishBatch();
                        } else {
                            ring.wakeAppender();
                        }
                        i += n;
                    }
                }, "publisher-" + p));
            }
            // A reader, as a sink is: reads what is written as it is written, and releases what it has passed.
            BitSet[] seen = {null, new BitSet(), new BitSet(), new BitSet()};
            long[] lastSeen = {0, -1, -1, -1};
            long total = 3L * perPublisher;
            long[] records = {0};
            try (JournalReader reader = new JournalReader(dir, 0, journal::flushedPosition)) {
                threads.forEach(Thread::start);
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
                while (records[0] < total) {
                    assertTrue(System.nanoTime() < deadline, "read " + records[0] + " of " + total + " events");
                    int n = reader.read((position, next, payload, offset, length) -> {
                        EventRecord r = RecordCodec.decode(payload, offset, length);
                        int p = (int) r.id().getMostSignificantBits();
                        int i = (int) r.id().getLeastSignificantBits();
                        assertFalse(seen[p].get(i), "event " + i + " of publisher " + p + " written twice");
                        assertEquals(lastSeen[p] + 1, i, "publisher " + p + "'s events out of order or missing");
                        seen[p].set(i);
                        lastSeen[p] = i;
                        records[0]++;
                    }, 1000);
                    journal.releaseBefore(reader.position());
                    if (n == 0) {
                        Thread.onSpinWait(); // nothing written yet: a sink would park here
                    }
                }
            }
            for (Thread t : threads) {
                t.join(TimeUnit.MINUTES.toMillis(1));
                assertFalse(t.isAlive(), t.getName() + " did not finish");
            }
            ring.drainAndStop(10, TimeUnit.SECONDS);
            assertEquals(total, stats.appendedRecords.get());
            for (int p = 1; p <= 3; p++) {
                assertEquals(perPublisher, seen[p].cardinality(), "publisher " + p);
            }
            Await.until("segments released and deleted", Duration.ofSeconds(30), stats.segmentsDeleted::get, d -> d > 3);
            assertTrue(ring.inlineTurns() > 0 && ring.appenderThreadTurns() > 0,
                    ring.inlineTurns() + " inline turns, " + ring.appenderThreadTurns() + " on the appender thread");
        }
    }

    @Test
    void whileTheDiskIsSlowTheLoopsLeaveTheirBatchesToTheAppenderThreadAndGetThemBackAfterThePause() throws Exception {
        JournalStats stats = new JournalStats();
        Set<Thread> writers = ConcurrentHashMap.newKeySet();
        AtomicBoolean slow = new AtomicBoolean(true);
        // Each written batch takes longer than SlowDiskGuard.SLOW_NANOS on whichever thread writes it, as on a disk that blocks writes.
        AtomicLong writesEnded = new AtomicLong();
        Runnable afterWrite = () -> {
            writers.add(Thread.currentThread());
            if (slow.get()) {
                LockSupport.parkNanos(SlowDiskGuard.SLOW_NANOS + TimeUnit.MILLISECONDS.toNanos(1));
            }
            writesEnded.incrementAndGet();
        };
        try (JournalWriter journal = JournalWriter.open(dir, SEGMENT, 64L << 20, stats)) {
            EventRing ring = new EventRing(1024, "inline", new JournalAppender(journal, AckMode.MEMORY, afterWrite));
            int[] next = {0};
            try {
                // Two slow turns in a row on the publisher's own thread (more if the appender thread's tick took a batch first).
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (ring.slowDiskPaused() == 0) {
                    assertTrue(System.nanoTime() < deadline, "slow turns did not pause the loops' turns");
                    long ended = writesEnded.get();
                    publishBatches(ring, next, 1, "slow batch");
                    // A batch counts as written before its slow write ends. Had the appender thread's tick taken
                    // it, that thread would still hold the turn when the next batch comes, and take it too, and
                    // every one after: the publisher's own slow turns would never come two in a row.
                    Await.until("the slow write to end", Duration.ofSeconds(10), writesEnded::get, e -> e > ended);
                }
                assertEquals(1, ring.slowDiskPauses());
                assertTrue(writers.contains(Thread.currentThread()), "the slow turns were not the publisher's");

                writers.clear();
                publishBatches(ring, next, 20, "batch during the pause");
                assertFalse(writers.contains(Thread.currentThread()), "a batch was written on the publisher's thread during the pause");
                assertFalse(writers.isEmpty());

                // The loops come back once the pause is over and the appender thread's last write was fast.
                slow.set(false);
                deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (ring.slowDiskPaused() == 1) {
                    assertTrue(System.nanoTime() < deadline, "the loops' turns did not come back");
                    publishBatches(ring, next, 1, "a batch while waiting for the pause to end");
                }
                long inlineBefore = ring.inlineTurns();
                writers.clear();
                publishBatches(ring, next, 20, "batch after the pause");
                assertTrue(writers.contains(Thread.currentThread()), "the publisher wrote no batch after the pause");
                assertTrue(ring.inlineTurns() > inlineBefore);
            } finally {
                ring.drainAndStop(5, TimeUnit.SECONDS);
            }
            assertEquals(next[0], stats.appendedRecords.get(), "an event was lost or written twice");
        }
    }

    /**
     * A stop past its drain budget halts the appender thread ({@link HaltedStop}), and the events of the
     * backlog it handled are answered as not stored; the journal holds the first batch only.
     */
    @Test
    void aStopPastItsDrainBudgetHaltsTheAppenderThreadAndNothingIsWrittenAfterTheJournalCloses() throws Exception {
        HaltedStop.Result halted = HaltedStop.run(dir, "inline", AckMode.JOURNAL, EventRing::endOfPublishBatch);
        assertTrue(halted.late().unhandled() >= HaltedStop.BATCH, halted.late().getMessage());
        JournalAppender appender = halted.ring().appender();
        for (long s = halted.first() + 1; s <= Math.min(halted.backlog(), appender.handledSequence()); s++) {
            assertFalse(appender.written(s), "event " + s + " was answered as stored");
        }
        try (JournalReader reader = new JournalReader(dir, 0, null)) {
            int[] records = {0};
            while (reader.read((position, next, payload, offset, length) -> records[0]++, 1000) > 0) {
                // read on
            }
            assertEquals(HaltedStop.BATCH, records[0], "records in the journal");
        }
    }

    /** Publishes {@code batches} batches of 5 events from {@code next[0]} on, each ended and awaited as written. */
    private static void publishBatches(EventRing ring, int[] next, int batches, String what) {
        for (int b = 0; b < batches; b++) {
            long last = publish(ring, 1, next[0], 5, null);
            next[0] += 5;
            ring.endOfPublishBatch();
            awaitWritten(ring, last, what + " " + b);
        }
    }
}
