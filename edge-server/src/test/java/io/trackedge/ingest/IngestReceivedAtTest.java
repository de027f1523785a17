package io.trackedge.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.config.AckMode;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.JournalReader;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.RecordCodec;
import io.trackedge.ring.AckListeners;
import io.trackedge.ring.EventRing;
import io.trackedge.ring.JournalAppender;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An ingested event is journaled as received when its request arrived, whatever {@code occurred_at}
 * the mail server gave: the PostHog sink's {@code max-lag} and the erasure hold count from the
 * received time (README), and a bounce reported two days late is neither too old for PostHog nor
 * taken for one received before an erasure of those two days. Before, it was the client's time.
 */
class IngestReceivedAtTest {

    @TempDir
    Path dir;

    @Test
    void aLateReportIsReceivedWhenItsRequestArrived() throws Exception {
        Instant occurred = Instant.now().minus(48, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);
        byte[] body = IngestClient.ndjson(List.of(IngestClient.email("bounced", "camp-late", "late-1", UUID.randomUUID())
                .put("bounce_type", "hard").put("occurred_at", occurred.toString()))).getBytes(StandardCharsets.UTF_8);
        JournalWriter writer = JournalWriter.open(dir, 4L << 20, 64L << 20, new JournalStats());
        EventRing ring = new EventRing(64, "blocking", new JournalAppender(writer, AckMode.MEMORY, () -> { }));
        long before;
        long after;
        try {
            before = System.currentTimeMillis();
            IngestOutcome o = new IngestProcessor(ring, false, 64, 0).process(body, body.length, BodyFormat.NDJSON,
                    new IngestKeyCache.Principal(UUID.randomUUID(), "tek_test0000", null), AckListeners.NONE);
            after = System.currentTimeMillis();
            assertEquals(202, o.status(), new String(o.body(), StandardCharsets.UTF_8));
        } finally {
            ring.drainAndStop(10, TimeUnit.SECONDS);
            writer.close();
        }
        List<EventRecord> events = new ArrayList<>();
        try (JournalReader r = new JournalReader(dir, 0, null)) {
            while (r.read((pos, next, buf, off, len) -> events.add(RecordCodec.decode(buf, off, len)), 1000) > 0) {
                // keep reading
            }
        }
        assertEquals(1, events.size());
        EventRecord e = events.get(0);
        assertEquals(occurred.toEpochMilli() * 1000, e.occurredAtMicros(), "occurred_at is the mail server's");
        long received = e.receivedAtMicros() / 1000;
        assertTrue(received >= before && received <= after, "received " + Instant.ofEpochMilli(received)
                + ", the request arrived between " + Instant.ofEpochMilli(before) + " and " + Instant.ofEpochMilli(after));
    }
}
