package io.trackedge.sink.postgres;

import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.db.Database;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventType;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.MutableEvent;
import io.trackedge.journal.RecordCodec;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkStats;
import io.trackedge.sink.bad.BadEvents;
import io.trackedge.sink.bad.ReplayOutcome;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.Recount;
import io.trackedge.sink.testing.Sinks;
import io.trackedge.sink.testing.SyntheticEvents;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Events PostgreSQL refuses for their data never stop the sink (issue 11, defect 1): U+0000 in every
 * string field, among 5,000 good events. Each is set aside once with its error, the good ones land
 * exactly once, this holds across a restart, and a set-aside event is replayed once its cause is fixed.
 */
class PoisonEventsIT {

    private static final UUID TENANT = UUID.fromString("11111111-1111-4111-8111-111111111111");
    private static final UUID USER = UUID.fromString("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa");

    private TestDatabase testDb;
    private Database db;
    private Path journalDir;
    private JournalWriter writer;
    private final MutableEvent event = new MutableEvent();

    @BeforeEach
    void setUp() throws Exception {
        testDb = TestDatabase.create();
        db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 4);
        db.migrate();
        journalDir = Files.createTempDirectory("poison-it-");
        writer = JournalWriter.open(journalDir, 4L << 20, 1L << 30, new JournalStats());
    }

    @AfterEach
    void tearDown() throws Exception {
        writer.close();
        db.close();
        testDb.close();
    }

    /** Stages one open or click whose fields are as given, and returns its id. */
    private UUID poison(String campaign, String mailbox, String email, String lead, String step, String ua, String url,
                        Map<String, String> attributes) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        UUID id = new UUID((System.currentTimeMillis() << 16) | 0x7000L | (r.nextLong() & 0xFFFL),
                (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L);
        event.reset(url == null ? EventType.OPEN : EventType.CLICK, id.getMostSignificantBits(), id.getLeastSignificantBits(),
                System.currentTimeMillis() * 1000);
        byte[] block = FieldsCodec.encode(new EventFields(TENANT, USER, campaign, mailbox, email, lead, step, null));
        event.fields(block, 0, block.length);
        event.userAgent(ua);
        if (url != null) {
            byte[] u = url.getBytes(StandardCharsets.UTF_8);
            event.url(u, 0, u.length);
        }
        byte[] ext = RecordCodec.encodeAttributes(attributes);
        event.ext(ext, 0, ext.length);
        assertTrue(writer.tryAppend(event));
        return id;
    }

    private static boolean refusesNul(String error) {
        return error.contains("0x00") || error.contains("unsupported Unicode escape sequence");
    }

    private SinkLoop start(UUID node, SinkStats stats) {
        SinkLoop loop = Sinks.postgres(db, journalDir, writer::flushedPosition, node, 1000, Duration.ofMillis(2),
                Duration.ofMillis(500), stats);
        loop.start();
        return loop;
    }

    @Test
    void poisonEventsAreSetAsideOnceAndEveryGoodEventLandsOnceAcrossARestart() throws Exception {
        // A refusal a person can fix: a rule in the database that this campaign breaks (SQLState 23514). The
        // campaign is stored once per sender context (sql/V26), so the rule is on event_contexts.
        try (Connection c = testDb.connect()) {
            c.createStatement().execute("ALTER TABLE event_contexts ADD CONSTRAINT no_quarantine "
                    + "CHECK (campaign_id IS DISTINCT FROM 'quarantine')");
        }
        SyntheticEvents gen = new SyntheticEvents(42, 800);
        Set<UUID> nul = new HashSet<>();
        UUID fixable = null;
        String ok = "ok";
        for (int i = 0; i < 5000; i++) {
            gen.append(writer);
            switch (i) {
                case 0 -> nul.add(poison("c\0amp", ok, ok, ok, ok, "ua", null, Map.of()));
                case 700 -> nul.add(poison(ok, "m\0box", ok, ok, ok, "ua", null, Map.of()));
                case 1400 -> nul.add(poison(ok, ok, "e\0mail", ok, ok, "ua", null, Map.of()));
                case 2100 -> nul.add(poison(ok, ok, ok, "l\0ead", ok, "ua", null, Map.of()));
                case 2800 -> nul.add(poison(ok, ok, ok, ok, "s\0tep", "ua", null, Map.of()));
                case 3500 -> nul.add(poison(ok, ok, ok, ok, ok, "u\0a", null, Map.of()));
                case 4200 -> nul.add(poison(ok, ok, ok, ok, ok, "ua", "https://example.com/\0", Map.of()));
                case 4201 -> fixable = poison("quarantine", ok, "email-fixable", ok, ok, "ua", null, Map.of());
                case 4999 -> nul.add(poison(ok, ok, ok, ok, ok, "ua", "https://example.com/x", Map.of("note", "a\0b")));
                default -> { }
            }
            if (i % 500 == 499) {
                writer.flush();
            }
        }
        writer.flush();
        UUID node = UUID.randomUUID();
        SinkStats stats = new SinkStats();
        SinkLoop loop = start(node, stats);
        long end = writer.flushedPosition();
        // The loop marks itself running after it moved its cursor, so wait for both.
        Await.until("the sink passes every event and runs", Duration.ofSeconds(90),
                () -> stats.committedPosition.get() == end && loop.health().up());
        assertEquals(9, stats.badEvents.get());
        assertEquals(5009, stats.committedEvents.get());

        assertEquals(5000, testDb.count("SELECT count(*) FROM email_events"));
        assertEquals(5000, testDb.count("SELECT count(DISTINCT event_id) FROM email_events"));
        List<List<String>> recount = Recount.compare(testDb);
        assertEquals(recount.get(0), recount.get(1), "daily counters equal a recount of the rows written");
        List<BadEvents.Row> bad;
        try (Connection c = testDb.connect()) {
            bad = BadEvents.list(c, "postgres", false, 100);
        }
        assertEquals(9, bad.size());
        Set<UUID> all = new HashSet<>(nul);
        all.add(fixable);
        Set<UUID> listed = new HashSet<>();
        for (BadEvents.Row r : bad) {
            listed.add(r.eventId());
            assertEquals(node, r.edgeNode());
            assertEquals(TENANT, r.tenantId());
            assertEquals(r.eventId(), RecordCodec.decode(r.record(), 0, r.record().length).id(), "the raw record is kept");
            if (r.eventId().equals(fixable)) {
                assertEquals("23514", r.errorCode());
                assertTrue(r.error().contains("no_quarantine"), r.error());
            } else {
                // 22021 for text columns, 22P05 for the attributes' jsonb: both data exceptions
                assertTrue(r.errorCode().startsWith("22"), r.errorCode() + " " + r.error());
                assertTrue(refusesNul(r.error()), r.error());
            }
        }
        assertEquals(all, listed);
        assertTrue(loop.stop(Duration.ofSeconds(5)));

        // A restart reads on from the committed cursor: nothing set aside or written twice.
        for (int i = 0; i < 100; i++) {
            gen.append(writer);
        }
        writer.flush();
        SinkStats again = new SinkStats();
        SinkLoop restarted = start(node, again);
        long end2 = writer.flushedPosition();
        Await.until("the restarted sink catches up", Duration.ofSeconds(60), () -> again.committedPosition.get() == end2);
        assertTrue(restarted.stop(Duration.ofSeconds(5)));
        assertEquals(0, again.badEvents.get());
        assertEquals(9, testDb.count("SELECT count(*) FROM bad_events"));
        assertEquals(5100, testDb.count("SELECT count(*) FROM email_events"));
        assertEquals(5100, testDb.count("SELECT count(DISTINCT event_id) FROM email_events"));

        // The fix for one of them (the rule is dropped), then a replay: that one lands once with its
        // counters; the U+0000 ones are refused again and stay listed with the new error.
        try (Connection c = testDb.connect()) {
            c.createStatement().execute("ALTER TABLE event_contexts DROP CONSTRAINT no_quarantine");
        }
        List<ReplayOutcome> outcomes = new PostgresReplay(db).replay(bad);
        List<Long> replayed = new ArrayList<>();
        for (ReplayOutcome o : outcomes) {
            if (o.replayed()) {
                replayed.add(o.badEventId());
            } else {
                assertTrue(refusesNul(o.error()), o.error());
            }
        }
        assertEquals(1, replayed.size());
        assertEquals(1, testDb.count("SELECT count(*) FROM email_events WHERE event_id = '" + fixable + "'"));
        List<List<String>> after = Recount.compare(testDb);
        assertEquals(after.get(0), after.get(1), "the replayed event's counters are in daily_analytics");
        try (Connection c = testDb.connect()) {
            List<BadEvents.Row> left = BadEvents.list(c, "postgres", false, 100);
            assertEquals(8, left.size());
            assertTrue(left.stream().allMatch(r -> r.attempts() == 2 && refusesNul(r.lastReplayError())));
        }
        // Replaying the same row again writes nothing twice.
        UUID fixed = fixable;
        List<ReplayOutcome> twice = new PostgresReplay(db).replay(bad.stream().filter(r -> r.eventId().equals(fixed)).toList());
        assertFalse(twice.get(0).replayed());
        assertEquals("replayed already", twice.get(0).error());
        assertEquals(1, testDb.count("SELECT count(*) FROM email_events WHERE event_id = '" + fixable + "'"));
    }
}
