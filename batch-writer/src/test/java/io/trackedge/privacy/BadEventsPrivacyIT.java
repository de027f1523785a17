package io.trackedge.privacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.classify.ClassifierSettings;
import io.trackedge.classify.ListSource;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.RecordCodec;
import io.trackedge.sink.JournalClassifier;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkStats;
import io.trackedge.sink.bad.BadEvents;
import io.trackedge.sink.bad.UncheckedBadEvents;
import io.trackedge.sink.bad.PostgresBadEventStore;
import io.trackedge.sink.bad.ReplayOutcome;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.postgres.PostgresReplay;
import io.trackedge.sink.postgres.PostgresSink;
import io.trackedge.sink.posthog.PostHogReplay;
import io.trackedge.sink.posthog.PostHogSettings;
import io.trackedge.sink.posthog.PostHogSink;
import io.trackedge.sink.posthog.PostHogStats;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.FakePostHog;
import io.trackedge.sink.testing.Sinks;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An event a sink refuses is set aside with its raw journal record. For a tenant whose addresses are
 * truncated, that record held the full address. It is now kept as the tenant keeps addresses, the
 * rest byte for byte, and still replays, into PostgreSQL and to PostHog.
 */
class BadEventsPrivacyIT {

    private static final String KEY = "phc_bad_privacy";
    private static final UUID TRUNCATING = UUID.fromString("7b000000-0000-4000-8000-000000000001");
    private static final UUID USER = UUID.fromString("7b000000-0000-4000-8000-0000000000aa");
    private static final byte[] FULL = JournalFixture.ip(JournalFixture.FULL_V4);

    private TestDatabase testDb;
    private Database db;
    private Path dataDir;
    private JournalWriter writer;
    private FakePostHog fake;

    @BeforeEach
    void setUp() throws Exception {
        testDb = TestDatabase.create();
        db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 2);
        db.migrate();
        dataDir = Files.createTempDirectory("bad-privacy-it-");
        writer = JournalWriter.open(dataDir.resolve("journal"), 4L << 20, 1L << 30, new JournalStats());
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
    void aRefusedEventOfATruncatingTenantIsSetAsideTruncatedAndReplays() throws Exception {
        PrivacyPolicy policy = new PrivacyPolicy(new PrivacySettings(TenantPrivacy.KEEP_ALL,
                Map.of(TRUNCATING, new TenantPrivacy(IpMode.TRUNCATE, false, false)), Duration.ofDays(7)),
                ErasureList.empty(), System::currentTimeMillis);
        try (Connection c = testDb.connect()) {
            c.createStatement().execute("ALTER TABLE email_event_rows ADD CONSTRAINT refuse_one CHECK (email_id <> 'refused')");
        }
        JournalFixture journal = new JournalFixture(writer);
        UUID refused = journal.append(TRUNCATING, USER, EventType.OPEN, "refused", JournalFixture.FULL_V4);
        journal.append(TRUNCATING, USER, EventType.OPEN, "accepted", JournalFixture.FULL_V4);
        writer.flush();
        fake.poison(refused);

        UUID node = UUID.randomUUID();
        SinkStats pg = new SinkStats();
        SinkStats ph = new SinkStats();
        SinkLoop postgres = new SinkLoop(new PostgresSink(db, node, new PostgresSink.Settings(false, 0), classifier(), policy),
                writer.directory(), writer::flushedPosition, Sinks.settings(10, Duration.ofMillis(2), Duration.ofMillis(200)),
                pg, p -> { });
        PostHogSettings settings = new PostHogSettings(fake.host(), KEY, 10, 1 << 20, Duration.ofMillis(2),
                Duration.ofSeconds(2), Duration.ofMillis(200), Duration.ofHours(24), true, false);
        SinkLoop posthog = new SinkLoop(new PostHogSink(writer.directory(), writer::flushedPosition, node,
                dataDir.resolve("posthog-cursor"), settings, new PostHogStats(), new PostgresBadEventStore(db.dataSource(), node),
                System::currentTimeMillis, classifier(), policy),
                writer.directory(), writer::flushedPosition, Sinks.settings(10, Duration.ofMillis(2), Duration.ofMillis(200)),
                ph, p -> { });
        postgres.start();
        posthog.start();
        long end = writer.flushedPosition();
        try {
            Await.until("both sinks pass the refused event", Duration.ofSeconds(60),
                    () -> pg.committedPosition.get() == end && ph.committedPosition.get() == end);
        } finally {
            assertTrue(postgres.stop(Duration.ofSeconds(5)));
            assertTrue(posthog.stop(Duration.ofSeconds(5)));
        }

        // bad_events, the Postgres sink's row and the PostHog sink's (a FileBadEventStore gets the same
        // record): it decodes, with the /24 and no user agent, and holds the full address nowhere
        List<BadEvents.Row> postgresRows;
        List<BadEvents.Row> posthogRows;
        try (Connection c = testDb.connect()) {
            postgresRows = BadEvents.list(c, PostgresSink.NAME, false, 10);
            posthogRows = BadEvents.list(c, PostHogSink.NAME, false, 10);
        }
        assertEquals(1, postgresRows.size(), postgresRows.toString());
        assertEquals(1, posthogRows.size(), posthogRows.toString());
        assertKeptAsTheTenantKeepsIt(postgresRows.get(0).record(), refused);
        assertKeptAsTheTenantKeepsIt(posthogRows.get(0).record(), refused);
        assertEquals(0, testDb.count("SELECT count(*) FROM bad_events WHERE position('\\x" + HexFormat.of().formatHex(FULL)
                + "'::bytea IN record) > 0"));

        // once the cause is fixed, the truncated record replays as the event would have been written
        try (Connection c = testDb.connect()) {
            c.createStatement().execute("ALTER TABLE email_event_rows DROP CONSTRAINT refuse_one");
        }
        List<ReplayOutcome> outcomes = new PostgresReplay(db).replay(postgresRows);
        assertTrue(outcomes.get(0).replayed(), outcomes.toString());
        assertEquals(2, testDb.count("SELECT count(*) FROM email_events WHERE tenant_id = '" + TRUNCATING
                + "' AND ip_address = '203.0.113.0' AND user_agent_id IS NULL"));
        assertEquals(1, testDb.count("SELECT count(*) FROM email_events WHERE event_id = '" + refused + "'"));
        fake.cure(refused);
        try (PostHogReplay replay = new PostHogReplay(db.dataSource(), settings, policy)) {
            List<ReplayOutcome> sent = replay.replay(posthogRows);
            assertTrue(sent.get(0).replayed(), sent.toString());
        }
        FakePostHog.Captured captured = fake.events().stream().filter(e -> refused.equals(e.uuid())).findFirst().orElseThrow();
        assertEquals("203.0.113.0", captured.properties().get("$ip"), captured.toString());
    }

    /**
     * A replayed PostHog event is classified alone, with the sink's rules, where the tenant's record is whole:
     * here the tenant's own machine User-Agent makes it a bot. Before, a replay sent every open and click
     * without a verdict, as a person's. A truncating tenant's record is not classified (too little in it).
     */
    @Test
    void aReplayedPostHogEventIsClassifiedWhereItsRecordIsWhole() throws Exception {
        UUID keeping = UUID.fromString("0d0d0d0d-0d0d-4d0d-8d0d-0d0d0d0d0d0d");
        PrivacyPolicy policy = new PrivacyPolicy(new PrivacySettings(TenantPrivacy.KEEP_ALL,
                Map.of(TRUNCATING, new TenantPrivacy(IpMode.TRUNCATE, false, false)), Duration.ofDays(7)),
                ErasureList.empty(), System::currentTimeMillis);
        io.trackedge.classify.Rules monitor = new io.trackedge.classify.Rules(Duration.ofSeconds(10), Duration.ofSeconds(2), 2,
                List.of("PrivacyFixture/"), 0);
        ClassifierSettings rules = new ClassifierSettings(io.trackedge.classify.Rules.DEFAULTS,
                Map.of(keeping, monitor, TRUNCATING, monitor), 1000, 100);
        JournalFixture journal = new JournalFixture(writer);
        PostgresBadEventStore store = new PostgresBadEventStore(db.dataSource(), UUID.randomUUID());
        Map<UUID, UUID> ids = new java.util.HashMap<>();
        for (UUID tenant : List.of(keeping, TRUNCATING)) {
            byte[] record = journal.record(tenant, USER, EventType.CLICK, "replayed-" + tenant, JournalFixture.FULL_V4);
            EventRecord e = RecordCodec.decode(record, 0, record.length);
            ids.put(tenant, e.id());
            long at = ids.size() * 100L; // each at a journal position of its own
            store.add(PostHogSink.NAME, new io.trackedge.sink.BadRecord(at, at + 1, record, e, "PostHog answered 400", "400")
                    .redacted(policy));
        }
        List<BadEvents.Row> rows;
        try (Connection c = testDb.connect()) {
            rows = BadEvents.list(c, PostHogSink.NAME, false, 10);
        }
        PostHogSettings settings = new PostHogSettings(fake.host(), KEY, 10, 1 << 20, Duration.ofMillis(2),
                Duration.ofSeconds(2), Duration.ofMillis(200), Duration.ofHours(24), true, false);
        try (PostHogReplay replay = new PostHogReplay(db.dataSource(), settings, policy, rules, ListSource.snapshot())) {
            List<ReplayOutcome> sent = replay.replay(rows);
            assertTrue(sent.stream().allMatch(ReplayOutcome::replayed), sent.toString());
        }
        Map<String, Object> whole = fake.events().stream().filter(e -> ids.get(keeping).equals(e.uuid()))
                .findFirst().orElseThrow().properties();
        assertEquals(true, whole.get("is_machine"), whole.toString());
        assertEquals("bot", whole.get("automation"), whole.toString());
        Map<String, Object> cut = fake.events().stream().filter(e -> ids.get(TRUNCATING).equals(e.uuid()))
                .findFirst().orElseThrow(() -> new AssertionError(fake.events().toString())).properties();
        assertEquals(false, cut.get("is_machine"), "no User-Agent kept, not classified (an empty one would read as a bot): " + cut);
    }

    /**
     * A replay reads the erasures for each row it sends: a recipient erased while an earlier row was
     * being sent is not sent (before, the erasures were read once, at the start, and a long replay sent
     * what an erasure had deleted), nor is one erased after its event was taken in, beyond the hold (a
     * PostHog 400 that arrives after the erasure sets the row aside again; the Postgres replay drops it).
     */
    @Test
    void aReplayLeavesOutRecipientsErasedWhileItRunsOrAfterTheirEventsWereTakenIn() throws Exception {
        UUID tenant = UUID.fromString("0e0e0e0e-0e0e-4e0e-8e0e-0e0e0e0e0e0e");
        PrivacyPolicy policy = new PrivacyPolicy(new PrivacySettings(TenantPrivacy.KEEP_ALL, Map.of(), Duration.ofMillis(1)),
                ErasureList.empty(), System::currentTimeMillis);
        JournalFixture journal = new JournalFixture(writer);
        PostgresBadEventStore store = new PostgresBadEventStore(db.dataSource(), UUID.randomUUID());
        Map<String, UUID> ids = new java.util.LinkedHashMap<>();
        Map<String, byte[]> records = new java.util.LinkedHashMap<>();
        for (String email : List.of("sent-first", "erased-meanwhile", "erased-before-its-row")) {
            byte[] record = journal.record(tenant, USER, EventType.CLICK, email, JournalFixture.FULL_V4);
            records.put(email, record);
            ids.put(email, RecordCodec.decode(record, 0, record.length).id());
        }
        long at = 0;
        for (String email : List.of("sent-first", "erased-meanwhile")) {
            at += 100;
            setAside(store, records.get(email), at);
        }
        try (Connection c = testDb.connect()) {
            Erasure.erase(c, tenant, "erased-before-its-row", "test");
        }
        // The erasure found no row: it came after. Written as a store before ErasedRecipients did, which kept it (the
        // store now drops it: thePostgresStoreReadsTheErasuresOfItsDatabase); a replay must not send it either.
        try (Connection c = testDb.connect()) {
            byte[] record = records.get("erased-before-its-row");
            UncheckedBadEvents.insert(c, PostHogSink.NAME, UUID.randomUUID(), new io.trackedge.sink.BadRecord(at + 100, at + 101, record,
                    RecordCodec.decode(record, 0, record.length), "PostHog answered 400", "400"));
        }
        List<BadEvents.Row> rows;
        try (Connection c = testDb.connect()) {
            rows = BadEvents.list(c, PostHogSink.NAME, false, 10);
        }
        assertEquals(3, rows.size(), rows.toString());

        fake.beforeNextCapture(() -> {
            try (Connection c = testDb.connect()) {
                Erasure.erase(c, tenant, "erased-meanwhile", "test");
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        PostHogSettings settings = new PostHogSettings(fake.host(), KEY, 10, 1 << 20, Duration.ofMillis(2),
                Duration.ofSeconds(2), Duration.ofMillis(200), Duration.ofHours(24), true, false);
        List<ReplayOutcome> outcomes;
        try (PostHogReplay replay = new PostHogReplay(db.dataSource(), settings, policy)) {
            outcomes = replay.replay(rows);
        }
        assertEquals(java.util.Set.of(ids.get("sent-first")), fake.uuids(), outcomes.toString());
        assertTrue(outcomes.get(0).replayed(), outcomes.toString());
        assertEquals(PostHogReplay.REPLAYED_OR_ERASED, outcomes.get(1).error(), "its row went with the erasure: " + outcomes);
        assertTrue(outcomes.get(2).replayed(), "kept from PostHog, and so done: " + outcomes);
    }

    /**
     * PostHog refuses an event of a recipient erased while the request was on its way: the erasure found
     * no row to delete, so the PostHog sink keeps none (it stored the record, which outlived the erasure).
     */
    @Test
    void thePostHogSinkKeepsNoRowOfARecipientErasedWhileItsEventWasSent() throws Exception {
        UUID tenant = UUID.fromString("0f0f0f0f-0f0f-4f0f-8f0f-0f0f0f0f0f0f");
        ErasureList erasures = ErasureList.empty();
        PrivacyPolicy policy = new PrivacyPolicy(PrivacySettings.KEEP_ALL, erasures, System::currentTimeMillis);
        JournalFixture journal = new JournalFixture(writer);
        UUID refused = journal.append(tenant, USER, EventType.CLICK, "erased-on-the-way", JournalFixture.FULL_V4);
        journal.append(tenant, USER, EventType.CLICK, "accepted", JournalFixture.FULL_V4); // shows PostHog takes others
        writer.flush();
        fake.poison(refused);
        // The loop sends the refused event twice, in its batch and then alone to find it: the erasure
        // comes during the second request, after the sink's last look at the erasures.
        fake.beforeNextCapture(() -> fake.beforeNextCapture(
                () -> erasures.add(tenant, "erased-on-the-way", System.currentTimeMillis())));
        PostHogSettings settings = new PostHogSettings(fake.host(), KEY, 10, 1 << 20, Duration.ofMillis(2),
                Duration.ofSeconds(2), Duration.ofMillis(200), Duration.ofHours(24), true, false);
        SinkStats ph = new SinkStats();
        SinkLoop posthog = new SinkLoop(new PostHogSink(writer.directory(), writer::flushedPosition, UUID.randomUUID(),
                dataDir.resolve("posthog-cursor"), settings, new PostHogStats(), new PostgresBadEventStore(db.dataSource(), UUID.randomUUID()),
                System::currentTimeMillis, classifier(), policy),
                writer.directory(), writer::flushedPosition, Sinks.settings(10, Duration.ofMillis(2), Duration.ofMillis(200)),
                ph, p -> { });
        posthog.start();
        long end = writer.flushedPosition();
        try {
            Await.until("the sink passes the refused event", Duration.ofSeconds(60), () -> ph.committedPosition.get() == end);
        } finally {
            assertTrue(posthog.stop(Duration.ofSeconds(5)));
        }
        assertEquals(0, testDb.count("SELECT count(*) FROM bad_events"));
        assertTrue(fake.answered(200) > 0, "the other event was taken");
    }

    /**
     * As above, with the erasure made by another node: this sink's list has not heard of it (its reload comes later),
     * so only the database can tell. The PostgreSQL store read no erasures and kept the row, which outlived the
     * erasure; now it reads them under the audit's lock in the insert's transaction ({@link ErasedRecipients}).
     */
    @Test
    void thePostgresStoreKeepsNoRowOfARecipientAnotherNodeErasedWhileItsEventWasSent() throws Exception {
        UUID tenant = UUID.fromString("0b0b0b0b-0b0b-4b0b-8b0b-0b0b0b0b0b0b");
        PrivacyPolicy policy = new PrivacyPolicy(PrivacySettings.KEEP_ALL, ErasureList.empty(), System::currentTimeMillis);
        JournalFixture journal = new JournalFixture(writer);
        UUID refused = journal.append(tenant, USER, EventType.CLICK, "erased-elsewhere", JournalFixture.FULL_V4);
        UUID accepted = journal.append(tenant, USER, EventType.CLICK, "accepted", JournalFixture.FULL_V4);
        writer.flush();
        fake.poison(refused);
        // During the second request of the refused event (alone, to find it), after the sink's last look at its list.
        fake.beforeNextCapture(() -> fake.beforeNextCapture(() -> {
            try (Connection c = testDb.connect()) {
                Erasure.erase(c, tenant, "erased-elsewhere", "another node");
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
        }));
        PostHogSettings settings = new PostHogSettings(fake.host(), KEY, 10, 1 << 20, Duration.ofMillis(2),
                Duration.ofSeconds(2), Duration.ofMillis(200), Duration.ofHours(24), true, false);
        SinkStats ph = new SinkStats();
        UUID node = UUID.randomUUID();
        SinkLoop posthog = new SinkLoop(new PostHogSink(writer.directory(), writer::flushedPosition, node,
                dataDir.resolve("posthog-cursor"), settings, new PostHogStats(), new PostgresBadEventStore(db.dataSource(), node, policy),
                System::currentTimeMillis, classifier(), policy),
                writer.directory(), writer::flushedPosition, Sinks.settings(10, Duration.ofMillis(2), Duration.ofMillis(200)),
                ph, p -> { });
        posthog.start();
        long end = writer.flushedPosition();
        try {
            Await.until("the sink passes the refused event", Duration.ofSeconds(60), () -> ph.committedPosition.get() == end);
        } finally {
            assertTrue(posthog.stop(Duration.ofSeconds(5)));
        }
        assertEquals(1, testDb.count("SELECT count(*) FROM erasure_audit"), "the erasure ran");
        assertEquals(0, testDb.count("SELECT count(*) FROM bad_events"), "the erased recipient's event was set aside");
        assertTrue(fake.uuids().contains(accepted), "the other event was taken");
    }

    /**
     * The store's own check, beside the sink's: a recipient erased in the database since the event was taken in is
     * not kept, nor one erased within the hold; an event taken in after an erasure older than the hold is kept.
     */
    @Test
    void thePostgresStoreReadsTheErasuresOfItsDatabase() throws Exception {
        UUID tenant = UUID.fromString("0b0b0b0b-0b0b-4b0b-8b0b-0b0b0b0b0b0c");
        JournalFixture journal = new JournalFixture(writer);
        byte[] before = journal.record(tenant, USER, EventType.OPEN, "taken-in-before", JournalFixture.FULL_V4);
        try (Connection c = testDb.connect()) {
            Erasure.erase(c, tenant, "taken-in-before", "another node");
            Erasure.erase(c, tenant, "taken-in-after", "another node");
        }
        // The event after is taken in past the erasures by more than the short hold below (the audit's clock is this host's).
        Await.until("the erasures older than the short hold", Duration.ofSeconds(5),
                () -> testDb.count("SELECT count(*) FROM erasure_audit WHERE erased_at < now() - interval '1 millisecond'") == 2);
        byte[] after = journal.record(tenant, USER, EventType.OPEN, "taken-in-after", JournalFixture.FULL_V4);
        PostgresBadEventStore holding = new PostgresBadEventStore(db.dataSource(), UUID.randomUUID());
        setAside(holding, before, 100);
        setAside(holding, after, 200);
        assertEquals(0, testDb.count("SELECT count(*) FROM bad_events"));

        PrivacyPolicy shortHold = new PrivacyPolicy(new PrivacySettings(TenantPrivacy.KEEP_ALL, Map.of(), Duration.ofMillis(1)),
                ErasureList.empty(), System::currentTimeMillis);
        PostgresBadEventStore store = new PostgresBadEventStore(db.dataSource(), UUID.randomUUID(), shortHold);
        setAside(store, before, 300);
        setAside(store, after, 400);
        List<BadEvents.Row> kept;
        try (Connection c = testDb.connect()) {
            kept = BadEvents.list(c, PostHogSink.NAME, false, 10);
        }
        assertEquals(List.of(400L), kept.stream().map(BadEvents.Row::journalPosition).toList(), kept.toString());
    }

    /**
     * An open set aside while its tenant dropped User-Agents, replayed once the tenant keeps them again:
     * its row is marked {@code redacted}, as the sink marks the rows it cuts. The replay applies the
     * policy to a record already cut and finds nothing left to cut: before V41 kept the mark in
     * {@code bad_events}, the row went unmarked and a re-score read its missing User-Agent as a bot's.
     */
    @Test
    void aReplayedRowWhoseRecordWasCutIsMarkedRedacted() throws Exception {
        UUID tenant = UUID.fromString("0a0a0a0a-0a0a-4a0a-8a0a-0a0a0a0a0a0a");
        PrivacyPolicy dropping = new PrivacyPolicy(new PrivacySettings(TenantPrivacy.KEEP_ALL,
                Map.of(tenant, new TenantPrivacy(IpMode.KEEP, false, false)), Duration.ofDays(7)),
                ErasureList.empty(), System::currentTimeMillis);
        JournalFixture journal = new JournalFixture(writer);
        byte[] record = journal.record(tenant, USER, EventType.OPEN, "cut-then-replayed", JournalFixture.FULL_V4);
        EventRecord e = RecordCodec.decode(record, 0, record.length);
        new PostgresBadEventStore(db.dataSource(), UUID.randomUUID()).add(PostgresSink.NAME,
                new io.trackedge.sink.BadRecord(100, 101, record, e, "refused", "23514").redacted(dropping));
        List<BadEvents.Row> rows;
        try (Connection c = testDb.connect()) {
            rows = BadEvents.list(c, PostgresSink.NAME, false, 10);
        }
        assertTrue(rows.get(0).redacted(), rows.toString());

        List<ReplayOutcome> outcomes = new PostgresReplay(db).replay(rows); // the tenant keeps everything now
        assertTrue(outcomes.get(0).replayed(), outcomes.toString());
        assertEquals(1, testDb.count("SELECT count(*) FROM email_event_rows WHERE event_id = '" + e.id()
                + "' AND redacted AND user_agent_id IS NULL"));
    }

    /**
     * PostHog answers 200 to a well-formed key no project has and drops the event: a replay with it marked every
     * row replayed and lost them. Now nothing is sent and each row stays, with the reason.
     */
    @Test
    void aReplayWithAProjectKeyPostHogDoesNotKnowSendsNothing() throws Exception {
        JournalFixture journal = new JournalFixture(writer);
        byte[] record = journal.record(USER, USER, EventType.OPEN, "replayed-late", JournalFixture.FULL_V4);
        UUID id = RecordCodec.decode(record, 0, record.length).id();
        setAside(new PostgresBadEventStore(db.dataSource(), UUID.randomUUID()), record, 100);
        List<BadEvents.Row> rows;
        try (Connection c = testDb.connect()) {
            rows = BadEvents.list(c, PostHogSink.NAME, false, 10);
        }
        PostHogSettings wrong = new PostHogSettings(fake.host(), "phc_not_a_project", 10, 1 << 20, Duration.ofMillis(2),
                Duration.ofSeconds(2), Duration.ofMillis(200), Duration.ofHours(24), false, false);
        try (PostHogReplay replay = new PostHogReplay(db.dataSource(), wrong, PrivacyPolicy.keepAll())) {
            List<ReplayOutcome> out = replay.replay(rows);
            assertFalse(out.get(0).replayed(), out.toString());
            assertTrue(out.get(0).error().contains("PostHog refused the project key"), out.toString());
        }
        assertEquals(List.of(), fake.events());
        assertEquals(0, fake.dropped().size(), "events sent with the key, which PostHog drops");
        try (Connection c = testDb.connect()) {
            rows = BadEvents.list(c, PostHogSink.NAME, false, 10);
        }
        assertEquals(1, rows.size(), "the row waits for a replay with the right key");
        assertTrue(rows.get(0).lastReplayError().contains("edge.sink.posthog.api-key"), rows.toString());

        PostHogSettings right = new PostHogSettings(fake.host(), KEY, 10, 1 << 20, Duration.ofMillis(2),
                Duration.ofSeconds(2), Duration.ofMillis(200), Duration.ofHours(24), false, false);
        try (PostHogReplay replay = new PostHogReplay(db.dataSource(), right, PrivacyPolicy.keepAll())) {
            assertTrue(replay.replay(rows).get(0).replayed());
        }
        assertEquals(java.util.Set.of(id), fake.uuids());
    }

    private static void setAside(PostgresBadEventStore store, byte[] record, long at) throws Exception {
        EventRecord e = RecordCodec.decode(record, 0, record.length);
        store.add(PostHogSink.NAME, new io.trackedge.sink.BadRecord(at, at + 1, record, e, "PostHog answered 400", "400"));
    }

    private static void assertKeptAsTheTenantKeepsIt(byte[] record, UUID id) {
        EventRecord e = RecordCodec.decode(record, 0, record.length);
        assertEquals(id, e.id());
        assertEquals("refused", e.fields().email());
        assertArrayEquals(JournalFixture.ip("203.0.113.0"), e.ip());
        assertTrue(e.userAgent() == null || e.userAgent().isEmpty(), e.userAgent());
        assertFalse(HexFormat.of().formatHex(record).contains(HexFormat.of().formatHex(FULL)), "the full address is in the record");
    }

    private static JournalClassifier classifier() {
        return JournalClassifier.of(ClassifierSettings.DEFAULTS, ListSource.snapshot());
    }
}
