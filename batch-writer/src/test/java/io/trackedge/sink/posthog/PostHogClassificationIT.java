package io.trackedge.sink.posthog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.journal.EventType;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkStats;
import io.trackedge.sink.bad.FileBadEventStore;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.postgres.PostgresSink;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.FakePostHog;
import io.trackedge.sink.testing.Scripted;
import io.trackedge.sink.testing.Sinks;
import io.trackedge.sink.testing.SyntheticEvents;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The PostHog sink's events carry the classifier's verdict ({@code is_machine}, {@code automation},
 * {@code certainty}, {@code reasons}), a later correction goes as an {@code email_reclassified} event
 * (once, though PostHog failed the batch that carried it and it was sent again), and the verdicts are
 * those the Postgres sink stored for the same journal.
 */
class PostHogClassificationIT {

    private static final String KEY = "phc_test_key";
    private static final long SECOND = 1_000_000L;

    private TestDatabase testDb;
    private Database db;
    private Path dataDir;
    private Path journalDir;
    private JournalWriter writer;
    private FakePostHog fake;

    @BeforeEach
    void setUp() throws Exception {
        testDb = TestDatabase.create();
        db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 4);
        db.migrate();
        dataDir = Files.createTempDirectory("posthog-classify-it-");
        journalDir = dataDir.resolve("journal");
        writer = JournalWriter.open(journalDir, 4L << 20, 1L << 30, new JournalStats());
        fake = FakePostHog.start(KEY);
    }

    @AfterEach
    void tearDown() throws Exception {
        fake.close();
        writer.close();
        db.close();
        testDb.close();
    }

    @Test
    void eventsCarryTheVerdictAndMatchThePostgresSink() throws Exception {
        SinkStats pg = new SinkStats();
        SinkStats ph = new SinkStats();
        SinkLoop postgres = new SinkLoop(new PostgresSink(db, UUID.randomUUID(), new PostgresSink.Settings(false, 0)), journalDir,
                writer::flushedPosition, Sinks.settings(300, Duration.ofMillis(2), Duration.ofMillis(500)), pg, p -> { });
        PostHogSettings settings = new PostHogSettings(fake.host(), KEY, 300, 1 << 20, Duration.ofMillis(2),
                Duration.ofSeconds(5), Duration.ofMillis(200), Duration.ofHours(24), false, false);
        SinkLoop posthog = new SinkLoop(new PostHogSink(journalDir, writer::flushedPosition, UUID.randomUUID(),
                dataDir.resolve("posthog-cursor"), settings, new PostHogStats(),
                new FileBadEventStore(dataDir.resolve("bad.ndjson")), System::currentTimeMillis),
                journalDir, writer::flushedPosition, Sinks.settings(300, Duration.ofMillis(2), Duration.ofMillis(200)), ph, p -> { });
        postgres.start();
        posthog.start();

        Scripted s = new Scripted(writer, Scripted.TENANT);
        long t = System.currentTimeMillis() * 1000 - 10 * 60 * SECOND;
        s.append(EventType.SENT, "e-mpp", t, null, null, null, 0);
        UUID prefetch = s.append(EventType.OPEN, "e-mpp", t + 2 * SECOND, Scripted.APPLE_RELAY, Scripted.APPLE_MAIL, null, 0);
        UUID proxy = s.append(EventType.OPEN, "e-gmail", t + 30 * SECOND, Scripted.ip(66, 249, 84, 1),
                "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)", null, 0);
        UUID first = s.append(EventType.CLICK, "e-burst", t + 300 * SECOND, Scripted.ip(203, 0, 113, 4), Scripted.FIREFOX,
                "https://shop.example/1", 0);
        // Mixed traffic beside it, so the batches are real ones.
        SyntheticEvents gen = new SyntheticEvents(5, 400);
        for (int i = 0; i < 1500; i++) {
            gen.append(writer);
        }
        writer.flush();
        long end = writer.flushedPosition();
        Await.until("both sinks to commit the first events", Duration.ofSeconds(60),
                () -> ph.committedPosition.get() >= end && pg.committedPosition.get() >= end);

        // The batch that completes the burst fails once at PostHog: it goes again, the correction with it, counted once.
        fake.failNext(1, 503);
        s.append(EventType.CLICK, "e-burst", t + 300 * SECOND + SECOND / 2, Scripted.ip(203, 0, 113, 9), Scripted.FIREFOX,
                "https://shop.example/2", 0);
        long end2 = writer.flushedPosition();
        Await.until("both sinks to commit the burst's second click", Duration.ofSeconds(60),
                () -> ph.committedPosition.get() >= end2 && pg.committedPosition.get() >= end2);
        assertTrue(posthog.stop(Duration.ofSeconds(5)));
        assertTrue(postgres.stop(Duration.ofSeconds(5)));
        assertTrue(fake.answered(503) >= 1, "PostHog failed the batch once");

        Map<UUID, FakePostHog.Captured> byId = new HashMap<>();
        List<FakePostHog.Captured> reclassified = new ArrayList<>();
        for (FakePostHog.Captured c : fake.events()) {
            if (c.event().equals(PostHogEvents.RECLASSIFIED)) {
                reclassified.add(c);
            } else {
                byId.put(c.uuid(), c);
            }
        }
        Map<String, Object> p = byId.get(prefetch).properties();
        assertEquals(true, p.get("is_machine"));
        assertEquals("prefetch", p.get("automation"));
        assertEquals("certain", p.get("certainty"));
        assertEquals(List.of("apple_relay", "apple_mail_from_relay", "soon_after_send"), p.get("reasons"));
        Map<String, Object> g = byId.get(proxy).properties();
        assertEquals(false, g.get("is_machine"), "a person behind Gmail's proxy is a person");
        assertEquals("proxy", g.get("automation"));
        assertEquals("none", byId.get(first).properties().get("automation"), "as sent, before the burst was seen");

        assertEquals(1, reclassified.stream().map(FakePostHog.Captured::uuid).distinct().count(), "one correction");
        Map<String, Object> fix = reclassified.get(0).properties();
        assertEquals(first.toString(), fix.get("event_uuid"));
        assertEquals("scanner", fix.get("automation"));
        assertEquals(true, fix.get("is_machine"));
        assertEquals("none", fix.get("previous_automation"));
        assertEquals(false, fix.get("previous_is_machine"));

        // Every open and click: PostHog's last word (the correction when there is one) is what Postgres stored.
        Map<String, String> fromPostHog = new TreeMap<>();
        for (FakePostHog.Captured c : byId.values()) {
            if (c.event().equals("email_opened") || c.event().equals("email_clicked")) {
                fromPostHog.put(c.uuid().toString(), verdict(c.properties()));
            }
        }
        for (FakePostHog.Captured c : reclassified) {
            fromPostHog.put((String) c.properties().get("event_uuid"), verdict(c.properties()));
        }
        Map<String, String> fromPostgres = new TreeMap<>();
        for (String row : testDb.rows("SELECT event_id || ' ' || automation || '/' || certainty || '/' || is_machine || '/'"
                + " || coalesce(machine_reason, '') FROM email_events WHERE event_type IN ('open', 'click')")) {
            fromPostgres.put(row.substring(0, row.indexOf(' ')), row.substring(row.indexOf(' ') + 1));
        }
        assertEquals(fromPostgres.size(), fromPostHog.size());
        assertEquals(fromPostgres, fromPostHog);
    }

    @SuppressWarnings("unchecked")
    private static String verdict(Map<String, Object> p) {
        return p.get("automation") + "/" + p.get("certainty") + "/" + p.get("is_machine") + "/"
                + String.join(",", (List<String>) p.get("reasons"));
    }

    /**
     * The classifier's correction of an aggregate-only tenant's click (a scanner's burst seen across two
     * batches) is not sent to PostHog, as none of that tenant's events are; another tenant's is. Before,
     * corrections went to PostHog without the privacy rules, naming the recipient.
     */
    @Test
    void anAggregateOnlyTenantsCorrectionIsNotSent() throws Exception {
        UUID other = UUID.fromString("0193a6f0-0000-7000-8000-0000000000ae");
        io.trackedge.privacy.PrivacyPolicy privacy = new io.trackedge.privacy.PrivacyPolicy(new io.trackedge.privacy.PrivacySettings(
                io.trackedge.privacy.TenantPrivacy.KEEP_ALL, Map.of(Scripted.TENANT, new io.trackedge.privacy.TenantPrivacy(
                        io.trackedge.privacy.IpMode.KEEP, true, true)), Duration.ofDays(7)),
                io.trackedge.privacy.ErasureList.empty(), System::currentTimeMillis);
        SinkStats ph = new SinkStats();
        PostHogSettings settings = new PostHogSettings(fake.host(), KEY, 300, 1 << 20, Duration.ofMillis(2),
                Duration.ofSeconds(5), Duration.ofMillis(200), Duration.ofHours(24), false, false);
        SinkLoop posthog = new SinkLoop(new PostHogSink(journalDir, writer::flushedPosition, UUID.randomUUID(),
                dataDir.resolve("posthog-cursor"), settings, new PostHogStats(),
                new FileBadEventStore(dataDir.resolve("bad.ndjson")), System::currentTimeMillis,
                io.trackedge.sink.JournalClassifier.of(io.trackedge.classify.ClassifierSettings.DEFAULTS,
                        io.trackedge.classify.ListSource.snapshot()), privacy),
                journalDir, writer::flushedPosition, Sinks.settings(300, Duration.ofMillis(2), Duration.ofMillis(200)), ph, p -> { });
        posthog.start();
        long t = System.currentTimeMillis() * 1000 - 10 * 60 * SECOND;
        Scripted[] tenants = {new Scripted(writer, Scripted.TENANT), new Scripted(writer, other)};
        for (Scripted s : tenants) {
            s.append(EventType.CLICK, "e-burst", t, Scripted.ip(203, 0, 113, 4), Scripted.FIREFOX, "https://shop.example/1", 0);
        }
        writer.flush();
        long end = writer.flushedPosition();
        Await.until("the PostHog sink to commit the first clicks", Duration.ofSeconds(60), () -> ph.committedPosition.get() >= end);
        for (Scripted s : tenants) { // the burst's second click, in a later batch: a correction of the first
            s.append(EventType.CLICK, "e-burst", t + SECOND / 2, Scripted.ip(203, 0, 113, 9), Scripted.FIREFOX,
                    "https://shop.example/2", 0);
        }
        writer.flush();
        long end2 = writer.flushedPosition();
        Await.until("the PostHog sink to commit the second clicks", Duration.ofSeconds(60), () -> ph.committedPosition.get() >= end2);
        assertTrue(posthog.stop(Duration.ofSeconds(5)));

        List<Object> reclassifiedTenants = new ArrayList<>();
        for (FakePostHog.Captured c : fake.events()) {
            assertTrue(!Scripted.TENANT.toString().equals(c.properties().get("tenant_id")), "aggregate-only, yet sent: " + c);
            if (c.event().equals(PostHogEvents.RECLASSIFIED)) {
                reclassifiedTenants.add(c.properties().get("tenant_id"));
            }
        }
        assertEquals(List.of(other.toString()), reclassifiedTenants, "the other tenant's correction only");
    }
}
