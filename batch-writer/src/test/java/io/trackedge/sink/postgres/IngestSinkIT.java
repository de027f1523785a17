package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.journal.Attributes;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventType;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.MutableEvent;
import io.trackedge.journal.RecordCodec;
import io.trackedge.sink.SinkStats;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.Recount;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Events of the ingest API straight into a journal and through the sink: client ids written once
 * however often they are journaled (in one batch, across batches, across sink restarts), and
 * email_bounces, email_replies, warmup_interactions, warmup_daily_stats and daily_analytics equal
 * to recounts of email_events.
 */
class IngestSinkIT {

    private static final UUID TENANT = UUID.fromString("44444444-4444-4444-8444-444444444444");
    private static final UUID USER = UUID.fromString("cccccccc-cccc-4ccc-8ccc-cccccccccccc");

    private TestDatabase testDb;
    private Database db;
    @TempDir
    Path journalDir;
    private JournalWriter writer;
    private final MutableEvent event = new MutableEvent();

    @BeforeEach
    void setUp() throws Exception {
        testDb = TestDatabase.create();
        db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 2);
        db.migrate();
        writer = JournalWriter.open(journalDir, 4L << 20, 1L << 30, new JournalStats());
    }

    @AfterEach
    void tearDown() throws Exception {
        writer.close();
        db.close();
        testDb.close();
    }

    /** One event as the edge's ingest API journals it. */
    private record Ingested(EventType type, UUID id, boolean clientId, int n) {
    }

    private void append(Ingested in) {
        long now = System.currentTimeMillis() * 1000 - in.n % 3 * 86_400_000_000L; // today and the two days before
        event.reset(in.type, in.id.getMostSignificantBits(), in.id.getLeastSignificantBits(), now);
        EventFields f = in.type.isWarmup()
                ? new EventFields(TENANT, USER, EventFields.ABSENT, "warm-" + in.n % 4, EventFields.ABSENT, null, null, null)
                : new EventFields(TENANT, USER, "camp-" + in.n % 3, "mbox-" + in.n % 2, "email-" + in.n, "lead-" + in.n,
                        in.n % 2 == 0 ? "step-1" : null, null);
        byte[] block = FieldsCodec.encode(f);
        event.fields(block, 0, block.length);
        Map<String, String> attributes = new LinkedHashMap<>();
        switch (in.type) {
            case BOUNCED -> {
                attributes.put(Attributes.BOUNCE_TYPE, in.n % 3 == 0 ? "hard" : "soft");
                if (in.n % 2 == 0) {
                    attributes.put(Attributes.BOUNCE_REASON, "550 5.1.1 user " + in.n + " unknown");
                }
            }
            case REPLIED -> attributes.put(Attributes.MESSAGE_ID, "<reply-" + in.n + "@example.com>");
            case WARMUP_REPLY, WARMUP_OPEN -> attributes.put(Attributes.PARTNER_MAILBOX, "partner-" + in.n % 5 + "@example.org");
            default -> { }
        }
        if (in.clientId) {
            attributes.put(Attributes.ID_SOURCE, Attributes.ID_SOURCE_CLIENT);
        }
        byte[] ext = RecordCodec.encodeAttributes(attributes);
        event.ext(ext, 0, ext.length);
        assertTrue(writer.tryAppend(event));
    }

    private static List<Ingested> events(int count, long seed) {
        Random r = new Random(seed);
        EventType[] types = {EventType.SENT, EventType.DELIVERED, EventType.BOUNCED, EventType.REPLIED,
            EventType.UNSUBSCRIBED, EventType.COMPLAINED, EventType.WARMUP_OPEN, EventType.WARMUP_REPLY};
        List<Ingested> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            boolean client = r.nextInt(3) > 0;
            UUID id = client ? UUID.randomUUID() : new UUID((System.currentTimeMillis() << 16) | 0x7000L | i & 0xFFF,
                    r.nextLong() & 0x3FFFFFFFFFFFFFFFL | 0x8000000000000000L);
            out.add(new Ingested(types[r.nextInt(types.length)], id, client, r.nextInt(1000)));
        }
        return out;
    }

    private PostgresSink sink(UUID node, SinkStats stats, int batch) {
        return new PostgresSink(db, journalDir, writer::flushedPosition, node,
                new PostgresSink.Settings(batch, Duration.ofMillis(2), Duration.ofMillis(500), false, 0), stats, p -> { });
    }

    private void runSinkToEnd(UUID node, int batch) throws Exception {
        SinkStats stats = new SinkStats();
        PostgresSink sink = sink(node, stats, batch);
        sink.start();
        long end = writer.flushedPosition();
        Await.within(Duration.ofSeconds(60), () -> stats.committedPosition.get() >= end);
        assertEquals(end, stats.committedPosition.get(), "sink did not catch up: " + stats.lastError);
        assertTrue(sink.stop(Duration.ofSeconds(5)));
    }

    private void assertRecounted() throws Exception {
        List<List<String>> daily = Recount.compare(testDb);
        assertEquals(daily.get(1), daily.get(0), "daily_analytics differs from a recount of email_events");
        List<List<String>> warmup = Recount.compareWarmup(testDb);
        assertEquals(warmup.get(1), warmup.get(0), "warmup_daily_stats differs from a recount of email_events");
        List<List<String>> tables = Recount.compareIngestTables(testDb);
        for (int i = 0; i < tables.size(); i += 2) {
            assertEquals(tables.get(i + 1), tables.get(i), "ingest table " + i / 2 + " differs from email_events");
        }
    }

    @Test
    void repeatedClientIdsAreWrittenOnceWhereverTheRepeatFalls() throws Exception {
        UUID node = UUID.randomUUID();
        List<Ingested> first = events(2_000, 1);
        for (Ingested e : first) {
            append(e);
            if (e.clientId() && e.n() % 10 == 0) {
                append(e); // the same id twice in one batch
            }
        }
        // and again, in later batches
        for (int i = 0; i < 200; i++) {
            if (first.get(i).clientId()) {
                append(first.get(i));
            }
        }
        writer.flush();
        runSinkToEnd(node, 250);
        long distinct = first.stream().map(Ingested::id).distinct().count();
        assertEquals(distinct, testDb.count("SELECT count(*) FROM email_events"));
        assertEquals(first.stream().filter(Ingested::clientId).count(), testDb.count("SELECT count(*) FROM ingest_event_ids"));
        assertRecounted();

        // a retry after the sink restarted: every client id again, plus some new events
        for (Ingested e : first) {
            if (e.clientId()) {
                append(e);
            }
        }
        List<Ingested> more = events(500, 2);
        more.forEach(this::append);
        writer.flush();
        runSinkToEnd(node, 300);
        assertEquals(distinct + 500, testDb.count("SELECT count(*) FROM email_events"));
        assertEquals(distinct + 500, testDb.count("SELECT count(DISTINCT event_id) FROM email_events"));
        assertRecounted();

        long bounced = first.stream().filter(e -> e.type() == EventType.BOUNCED).count()
                + more.stream().filter(e -> e.type() == EventType.BOUNCED).count();
        assertEquals(bounced, testDb.count("SELECT count(*) FROM email_bounces"));
        assertEquals(bounced, testDb.count("SELECT sum(emails_bounced) FROM daily_analytics"));
        assertEquals(testDb.count("SELECT count(*) FROM email_bounces WHERE bounce_type = 'hard'"),
                testDb.count("SELECT sum(bounces_hard) FROM daily_analytics"));
        // warm-up rows have no campaign or email: the placeholder never reaches the tables
        assertEquals(0, testDb.count("SELECT count(*) FROM email_events WHERE event_type LIKE 'warmup%' "
                + "AND (campaign_id IS NOT NULL OR email_id IS NOT NULL)"));
        assertEquals(0, testDb.count("SELECT count(*) FROM daily_analytics WHERE warmup_opens + warmup_replies > 0 "
                + "AND campaign_id IS NOT NULL"));
        assertTrue(testDb.count("SELECT sum(opens_received) + sum(replies_received) FROM warmup_daily_stats") > 0);
    }
}
