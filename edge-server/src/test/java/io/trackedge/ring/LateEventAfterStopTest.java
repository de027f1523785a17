package io.trackedge.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.config.AckMode;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventType;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.journal.JournalReader;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.sink.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An event handed to the appender after a stop drained the ring: published late by an event loop
 * or an ingest worker the stop stopped waiting for, and handed over by a loop's turn that looked at
 * the stop's flag just before it was set ({@code inline}) or by Disruptor's processor, which its
 * halt alerts but does not join. Nothing of it may reach the journal, which the stop then closes;
 * before, such a batch was written while the stop closed the journal (two threads in a
 * single-threaded writer), and a batch the stop cut in two left its first part staged for the
 * close to flush, though the batch was answered as not written.
 */
class LateEventAfterStopTest {

    private static final byte[] FIELDS = FieldsCodec.encode(new EventFields(UUID.randomUUID(), UUID.randomUUID(),
            "campaign", "mailbox", "email", "lead", "step", null));

    @TempDir
    Path dir;

    private static RingEvent event(int i) {
        RingEvent e = new RingEvent();
        e.reset(EventType.OPEN, 1, i, 1_000_000L * i);
        e.fields(FIELDS, 0, FIELDS.length);
        return e;
    }

    private static long publish(EventRing ring, int n) {
        long last = -1;
        for (int i = 0; i < n; i++) {
            long s;
            while ((s = ring.tryClaim()) < 0) {
                Thread.onSpinWait();
            }
            ring.slot(s).reset(EventType.OPEN, 1, i, 1_000_000L * i);
            ring.slot(s).fields(FIELDS, 0, FIELDS.length);
            ring.publish(s);
            last = s;
        }
        ring.endOfPublishBatch();
        return last;
    }

    private int recordsIn(Path journalDir) throws Exception {
        int[] n = {0};
        try (JournalReader r = new JournalReader(journalDir, 0, null)) {
            while (r.read((position, next, buf, offset, length) -> n[0]++, 1024) > 0) {
                // until nothing more
            }
        }
        return n[0];
    }

    @ParameterizedTest
    @ValueSource(strings = {"inline", "blocking"})
    void aLateBatchWritesNothingAndIsRecordedAsNotWritten(String waitStrategy) throws Exception {
        JournalStats stats = new JournalStats();
        JournalWriter journal = JournalWriter.open(dir, 4 << 20, 64L << 20, stats);
        EventRing ring = new EventRing(1024, waitStrategy, new JournalAppender(journal, AckMode.MEMORY, () -> { }));
        long last = publish(ring, 5);
        Await.until("the ring's events to be written", Duration.ofSeconds(10), () -> ring.appender().handledSequence(),
                h -> h >= last);
        long flushed = journal.flushedPosition();

        // A late batch of two, as a loop's poller or the processor would hand it over, cut in two by
        // the stop: its first event staged before the stop took the writer, its last after.
        JournalAppender appender = ring.appender();
        appender.onEvent(event(5), last + 1, false);
        ring.drainAndStop(5, TimeUnit.SECONDS);
        assertEquals(5, stats.appendedRecords.get());
        appender.onEvent(event(6), last + 2, true);

        assertEquals(flushed, journal.flushedPosition(), "the late batch was written after the drain");
        assertFalse(appender.written(last + 1, last + 2), "the late batch is recorded as not written");
        assertTrue(appender.written(0, last), "what the drain wrote stays written");
        journal.close(); // what the stop does next: it flushes what is staged
        assertEquals(5, recordsIn(dir), "the close wrote a late event");
    }
}
