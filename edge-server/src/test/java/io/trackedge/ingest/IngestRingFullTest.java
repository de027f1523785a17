package io.trackedge.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trackedge.config.AckMode;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.journal.JournalReader;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.MutableEvent;
import io.trackedge.journal.RecordCodec;
import io.trackedge.ring.AckListeners;
import io.trackedge.ring.EventRing;
import io.trackedge.ring.JournalAppender;
import io.trackedge.sink.testing.Await;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ring-full policy of the ingest API, with a real ring and journal whose appender is held up
 * after its first batch: a request whose events do not all fit gets 503 and records none of them,
 * whatever the tracking full-policy; once the journal catches up the same request is accepted.
 */
class IngestRingFullTest {

    @TempDir
    Path dir;

    private static byte[] body(int lines, String tag) {
        List<ObjectNode> l = new ArrayList<>();
        for (int i = 0; i < lines; i++) {
            l.add(IngestClient.email("sent", "camp-full", tag + "-" + i, UUID.randomUUID()));
        }
        return IngestClient.ndjson(l).getBytes(StandardCharsets.UTF_8);
    }

    private static IngestOutcome process(IngestProcessor p, byte[] body, int listener) {
        return p.process(body, body.length, BodyFormat.NDJSON, new IngestKeyCache.Principal(UUID.randomUUID(), "tek_test0000", null),
                listener);
    }

    private List<EventRecord> journal() throws Exception {
        List<EventRecord> out = new ArrayList<>();
        try (JournalReader r = new JournalReader(dir, 0, null)) {
            while (r.read((pos, next, buf, off, len) -> out.add(RecordCodec.decode(buf, off, len)), 1000) > 0) {
                // keep reading
            }
        }
        return out;
    }

    @Test
    void aRequestThatDoesNotFitIsRefusedWholeAndAcceptedOnceThereIsRoom() throws Exception {
        CountDownLatch firstBatchDone = new CountDownLatch(1);
        CountDownLatch letGo = new CountDownLatch(1);
        JournalWriter writer = JournalWriter.open(dir, 4L << 20, 64L << 20, new JournalStats());
        JournalAppender appender = new JournalAppender(writer, AckMode.JOURNAL, () -> {
            firstBatchDone.countDown();
            try {
                letGo.await(); // the appender is stuck: its slots stay taken
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        EventRing ring = new EventRing(64, "blocking", appender);
        IngestProcessor processor = new IngestProcessor(ring, true, 64, 0);
        AtomicLong journaled = new AtomicLong(-1);
        int listener = appender.listeners().add(journaled::set);
        try {
            IngestOutcome a = process(processor, body(10, "a"), listener);
            assertEquals(202, a.status());
            assertEquals(9, a.sequence(), "the 202 waits for the request's last sequence");
            assertTrue(firstBatchDone.await(10, TimeUnit.SECONDS));
            assertTrue(journaled.get() >= 0, "the listener heard of the first batch");

            IngestOutcome b = process(processor, body(50, "b"), listener);
            assertEquals(202, b.status());
            assertEquals(59, b.sequence());
            assertEquals(4, ring.remainingCapacity());

            IngestOutcome c = process(processor, body(5, "c"), listener);
            assertEquals(503, c.status());
            assertEquals(-1, c.sequence());
            assertEquals(0, c.accepted());
            assertTrue(new String(c.body(), StandardCharsets.UTF_8).contains("nothing was recorded"));
            assertEquals(4, ring.remainingCapacity(), "no slot was taken by the refused request");

            letGo.countDown();
            Await.until("the appender to free the ring", Duration.ofSeconds(10), ring::remainingCapacity, free -> free >= 64);
            IngestOutcome again = process(processor, body(5, "c"), listener);
            assertEquals(202, again.status());
        } finally {
            letGo.countDown();
            ring.drainAndStop(10, TimeUnit.SECONDS);
            writer.close();
        }
        List<EventRecord> events = journal();
        assertEquals(65, events.size());
        assertEquals(5, events.stream().filter(e -> e.fields().email().startsWith("c-")).count());
    }

    /**
     * Under {@code ack=memory} the 202 goes before the events are written, so a journal at its
     * {@code max-bytes} cap is looked at first: 503, nothing published (README). Before, the request
     * got 202 and its events were dropped at the cap.
     */
    @Test
    void underMemoryAcknowledgementsAJournalAtItsCapIs503() throws Exception {
        JournalWriter writer = JournalWriter.open(dir, 4L << 20, 8L << 20, new JournalStats());
        MutableEvent filler = new MutableEvent();
        filler.reset(EventType.OPEN, 1, 2, System.currentTimeMillis() * 1000);
        int filled = 0;
        while (writer.tryAppend(filler)) {
            filled++;
        }
        writer.flush();
        EventRing ring = new EventRing(64, "blocking", new JournalAppender(writer, AckMode.MEMORY, () -> { }));
        try {
            IngestOutcome o = process(new IngestProcessor(ring, false, 64, 0), body(3, "cap"), AckListeners.NONE);
            assertEquals(503, o.status());
            assertTrue(new String(o.body(), StandardCharsets.UTF_8).contains("size cap"), new String(o.body(), StandardCharsets.UTF_8));
            assertEquals(0, o.accepted());
            assertEquals(64, ring.remainingCapacity(), "nothing published");
        } finally {
            ring.drainAndStop(10, TimeUnit.SECONDS);
            writer.close();
        }
        long records = 0;
        try (JournalReader r = new JournalReader(dir, 0, null)) {
            for (int n; (n = r.read((pos, next, buf, off, len) -> { }, 1000)) > 0; ) {
                records += n;
            }
        }
        assertEquals(filled, records, "only the filler");
    }

    @Test
    void underMemoryAcknowledgementsNothingIsWaitedFor() throws Exception {
        JournalWriter writer = JournalWriter.open(dir, 4L << 20, 64L << 20, new JournalStats());
        EventRing ring = new EventRing(64, "blocking", new JournalAppender(writer, AckMode.MEMORY, () -> { }));
        try {
            IngestOutcome o = process(new IngestProcessor(ring, false, 64, 0), body(3, "m"), AckListeners.NONE);
            assertEquals(202, o.status());
            assertEquals(-1, o.sequence());
        } finally {
            ring.drainAndStop(10, TimeUnit.SECONDS);
            writer.close();
        }
        assertEquals(3, journal().size());
    }
}
