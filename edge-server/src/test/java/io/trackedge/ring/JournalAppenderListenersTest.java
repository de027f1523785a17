package io.trackedge.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.config.AckMode;
import io.trackedge.journal.EventType;
import io.trackedge.journal.JournalReader;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.Segments;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slots name their listener by its number in {@link AckListeners}: each listener named in a batch is
 * told once, after the batch, and a slot that names none tells nobody. The appender is driven
 * directly, as the ring's thread would, so the batches are exactly the ones written here.
 */
class JournalAppenderListenersTest {

    @TempDir
    Path dir;

    private static RingEvent event(long i, int listener) {
        RingEvent e = new RingEvent();
        e.reset(EventType.OPEN, 1, i, 1_000_000L * i);
        e.listener(listener);
        return e;
    }

    @Test
    void eachListenerNamedInABatchIsToldOnceAfterIt() throws Exception {
        try (JournalWriter journal = JournalWriter.open(dir, 4L << 20, 64L << 20, new JournalStats())) {
            JournalAppender appender = new JournalAppender(journal, AckMode.JOURNAL, () -> { });
            List<Long> a = new ArrayList<>();
            List<Long> b = new ArrayList<>();
            int na = appender.listeners().add(a::add);
            int nb = appender.listeners().add(b::add);
            assertEquals(2, appender.listeners().size());

            RingEvent[] batch = {event(0, na), event(1, nb), event(2, na), event(3, AckListeners.NONE)};
            for (int s = 0; s < batch.length; s++) {
                appender.onEvent(batch[s], s, s == batch.length - 1);
                if (s < batch.length - 1) {
                    assertTrue(a.isEmpty() && b.isEmpty(), "nobody is told before the batch is written");
                }
            }
            assertEquals(List.of(3L), a, "told once, with the batch's last sequence");
            assertEquals(List.of(3L), b);
            for (RingEvent e : batch) {
                assertEquals(AckListeners.NONE, e.listener(), "a handled slot names no listener");
            }

            appender.onEvent(event(4, AckListeners.NONE), 4, true);
            assertEquals(List.of(3L), a, "a batch that names nobody tells nobody");
            appender.onEvent(event(5, nb), 5, true);
            assertEquals(List.of(3L, 5L), b);
            assertEquals(List.of(3L), a);
            assertTrue(appender.written(0, 5));
        }
    }

    /**
     * Under ack=fsync the sinks read only what an fsync made durable: a batch whose fsync fails is
     * answered 503 and must not be delivered (FailedForceTest in the journal module shows the writer's side).
     */
    @Test
    void underFsyncTheSinksReadABatchOnlyOnceItIsForced() throws Exception {
        for (AckMode mode : AckMode.values()) {
            Path d = dir.resolve(mode.name());
            try (JournalWriter journal = JournalWriter.open(d, 4L << 20, 64L << 20, new JournalStats())) {
                JournalAppender appender = new JournalAppender(journal, mode, () -> { });
                assertEquals(mode == AckMode.FSYNC, journal.holdsReadersUntilForced(), mode.name());
                appender.onEvent(event(0, AckListeners.NONE), 0, true);
                assertTrue(journal.flushedPosition() > 0, mode + ": a written batch is readable once handled");
            }
        }
    }

    @Test
    void aFailingListenerDoesNotKeepTheOthersFromBeingTold() throws Exception {
        try (JournalWriter journal = JournalWriter.open(dir, 4L << 20, 64L << 20, new JournalStats())) {
            JournalAppender appender = new JournalAppender(journal, AckMode.JOURNAL, () -> { });
            List<Long> told = new ArrayList<>();
            int broken = appender.listeners().add(s -> {
                throw new IllegalStateException("a gate with a bug");
            });
            int fine = appender.listeners().add(told::add);
            appender.onEvent(event(0, broken), 0, false);
            appender.onEvent(event(1, fine), 1, true);
            assertEquals(List.of(1L), told);
            appender.onEvent(event(2, fine), 2, true);
            assertEquals(List.of(1L, 2L), told, "the next batch is handled as usual");
            assertEquals(2, appender.handledSequence());
        }
    }

    /**
     * A halt (a stop past its drain budget) in the middle of a batch: what the batch staged is
     * dropped, so the journal's close does not write events answered as not stored, and the rest of
     * the batch is answered as not written, without touching the closed journal.
     */
    @Test
    void aHaltMidBatchAnswersTheBatchAsNotWrittenAndTheCloseWritesNoneOfIt() throws Exception {
        JournalWriter journal = JournalWriter.open(dir, 4L << 20, 64L << 20, new JournalStats());
        JournalAppender appender = new JournalAppender(journal, AckMode.JOURNAL, () -> { });
        List<Long> told = new ArrayList<>();
        int l = appender.listeners().add(told::add);
        appender.onEvent(event(0, l), 0, true);
        appender.onEvent(event(1, l), 1, false);
        appender.onEvent(event(2, l), 2, false);

        assertTrue(appender.halt(1, TimeUnit.SECONDS), "the appender is between writes: it lets go at once");
        journal.close();
        List<Long> segments = Segments.list(dir);
        appender.onEvent(event(3, l), 3, true);

        assertEquals(List.of(0L, 3L), told, "the rest of the batch is answered");
        assertTrue(appender.written(0));
        for (long s = 1; s <= 3; s++) {
            assertFalse(appender.written(s), "event " + s + " answered as written");
        }
        assertEquals(1, records(), "events answered as not written were written by the close");
        assertEquals(segments, Segments.list(dir));
    }

    /** An event handed over after the journal closed is answered as a failed write is: not written, no file made. */
    @Test
    void anEventAfterTheJournalClosedIsAnsweredAsNotWrittenAndMakesNoFile() throws Exception {
        JournalWriter journal = JournalWriter.open(dir, 4L << 20, 64L << 20, new JournalStats());
        JournalAppender appender = new JournalAppender(journal, AckMode.JOURNAL, () -> { });
        List<Long> told = new ArrayList<>();
        int l = appender.listeners().add(told::add);
        appender.onEvent(event(0, l), 0, true);
        journal.close();
        List<Long> segments = Segments.list(dir);

        appender.onEvent(event(1, l), 1, false);
        appender.onEvent(event(2, l), 2, true);

        assertEquals(List.of(0L, 2L), told);
        assertFalse(appender.written(1, 2));
        assertFalse(appender.healthy(), "a refused write makes the journal unhealthy, as a failed one does");
        assertEquals(segments, Segments.list(dir), "a segment was made after the close");
        assertEquals(1, records());
    }

    private long records() throws Exception {
        try (JournalReader reader = new JournalReader(dir, 0, null)) {
            long n = 0;
            int read;
            while ((read = reader.read((position, next, payload, offset, length) -> { }, 1000)) > 0) {
                n += read;
            }
            return n;
        }
    }

    @Test
    void aBatchMayNameMoreListenersThanItFirstHasRoomFor() throws Exception {
        try (JournalWriter journal = JournalWriter.open(dir, 4L << 20, 64L << 20, new JournalStats())) {
            JournalAppender appender = new JournalAppender(journal, AckMode.MEMORY, () -> { });
            int n = 40;
            long[] told = new long[n];
            int[] numbers = new int[n];
            for (int i = 0; i < n; i++) {
                int k = i;
                told[k] = -1;
                numbers[k] = appender.listeners().add(s -> told[k] = s);
            }
            for (int i = 0; i < n; i++) {
                appender.onEvent(event(i, numbers[i]), i, i == n - 1);
            }
            for (int i = 0; i < n; i++) {
                assertEquals(n - 1, told[i], "listener " + i);
            }
        }
    }
}
