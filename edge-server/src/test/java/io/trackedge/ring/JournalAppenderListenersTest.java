package io.trackedge.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.config.AckMode;
import io.trackedge.journal.EventType;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
