package io.trackedge.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.RecordCodec;
import io.trackedge.sink.BadRecord;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkStats;
import io.trackedge.sink.bad.UncheckedBadEvents;
import io.trackedge.sink.bad.FileBadEventStore;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.postgres.PostgresSink;
import io.trackedge.sink.posthog.PersonDeletion;
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
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Privacy through the real sinks: the Postgres sink into a fresh database and the PostHog sink into
 * {@link FakePostHog}, both reading one journal as the edge runs them.
 */
class PrivacyIT {

    private static final String KEY = "phc_privacy";
    private static final UUID TRUNCATING = UUID.fromString("7a000000-0000-4000-8000-000000000001");
    private static final UUID AGGREGATE = UUID.fromString("7a000000-0000-4000-8000-000000000002");
    private static final UUID KEEPING = UUID.fromString("7a000000-0000-4000-8000-000000000003");
    private static final UUID USER = UUID.fromString("7a000000-0000-4000-8000-0000000000aa");
    private static final String KEPT_IP = "198.51.100.23";

    private TestDatabase testDb;
    private Database db;
    private Path dataDir;
    private JournalWriter writer;
    private JournalFixture journal;
    private FakePostHog fake;
    private final ErasureList erasures = ErasureList.empty();
    private PrivacyPolicy policy;
    private final List<SinkLoop> loops = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        testDb = TestDatabase.create();
        db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 4);
        db.migrate();
        dataDir = Files.createTempDirectory("privacy-it-");
        writer = JournalWriter.open(dataDir.resolve("journal"), 4L << 20, 1L << 30, new JournalStats());
        journal = new JournalFixture(writer);
        fake = FakePostHog.start(KEY);
        policy = new PrivacyPolicy(new PrivacySettings(TenantPrivacy.KEEP_ALL, Map.of(
                TRUNCATING, new TenantPrivacy(IpMode.TRUNCATE, false, false),
                AGGREGATE, new TenantPrivacy(IpMode.KEEP, true, true)), Duration.ofDays(7)),
                erasures, System::currentTimeMillis);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (SinkLoop l : loops) {
            l.stop(Duration.ofSeconds(5));
        }
        fake.close();
        writer.close();
        db.close();
        testDb.close();
    }

    private SinkStats[] startSinks() {
        UUID node = UUID.randomUUID();
        SinkStats pg = new SinkStats();
        SinkStats ph = new SinkStats();
        SinkLoop postgres = new SinkLoop(new PostgresSink(db, node, new PostgresSink.Settings(false, 0),
                io.trackedge.sink.JournalClassifier.of(io.trackedge.classify.ClassifierSettings.DEFAULTS,
                        io.trackedge.classify.ListSource.snapshot()), policy),
                writer.directory(), writer::flushedPosition, Sinks.settings(100, Duration.ofMillis(2), Duration.ofMillis(200)),
                pg, p -> { });
        PostHogSettings settings = new PostHogSettings(fake.host(), KEY, 100, 1 << 20, Duration.ofMillis(2),
                Duration.ofSeconds(2), Duration.ofMillis(200), Duration.ofHours(24), true, false);
        SinkLoop posthog = new SinkLoop(new PostHogSink(writer.directory(), writer::flushedPosition, node,
                dataDir.resolve("posthog-cursor"), settings, new PostHogStats(),
                new FileBadEventStore(dataDir.resolve("bad-events.ndjson")), System::currentTimeMillis,
                io.trackedge.sink.JournalClassifier.of(io.trackedge.classify.ClassifierSettings.DEFAULTS,
                        io.trackedge.classify.ListSource.snapshot()), policy),
                writer.directory(), writer::flushedPosition, Sinks.settings(100, Duration.ofMillis(2), Duration.ofMillis(200)),
                ph, p -> { });
        loops.add(postgres);
        loops.add(posthog);
        postgres.start();
        posthog.start();
        return new SinkStats[] {pg, ph};
    }

    private void awaitCaughtUp(SinkStats[] stats) {
        long end = writer.flushedPosition();
        for (SinkLoop l : loops) {
            l.wakeUp();
        }
        Await.until("both sinks reach the journal's end", Duration.ofSeconds(30),
                () -> stats[0].committedPosition.get() == end && stats[1].committedPosition.get() == end);
    }

    /** Base tables and partitions of the schema: every place a row can be. */
    private List<String> tables() throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = testDb.connect(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                     + "WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1")) {
            while (r.next()) {
                out.add(r.getString(1));
            }
        }
        assertTrue(out.contains("email_events_default") && out.contains("erasure_audit"), "partitions and V11 are listed: " + out);
        return out;
    }

    /** Rows of any table whose text form (every column) holds {@code needle}. */
    private long rowsHolding(String needle) throws Exception {
        long n = 0;
        for (String t : tables()) {
            n += testDb.count("SELECT count(*) FROM " + t + " x WHERE x::text LIKE '%" + needle.replace("'", "''") + "%'");
        }
        return n;
    }

    @Test
    void aTruncatingTenantsFullAddressesReachNoTableAndNotPostHog() throws Exception {
        journal.recipient(TRUNCATING, USER, "cut-v4", JournalFixture.FULL_V4);
        journal.recipient(TRUNCATING, USER, "cut-v6", JournalFixture.FULL_V6);
        journal.recipient(AGGREGATE, USER, "agg-1", "192.0.2.55");
        journal.recipient(KEEPING, USER, "kept-1", KEPT_IP);
        awaitCaughtUp(startSinks());

        assertTrue(rowsHolding(KEPT_IP) > 0, "the search finds a kept address: it would find a leaked one");
        assertEquals(0, rowsHolding(JournalFixture.FULL_V4), "the full IPv4 address is in no row of any table");
        assertEquals(0, rowsHolding("5678:9abc"), "the host part of the IPv6 address is in no row of any table");
        assertEquals(3, testDb.count("SELECT count(*) FROM email_events WHERE tenant_id = '" + TRUNCATING
                + "' AND ip_address = '203.0.113.0'"), "the two opens and the click of cut-v4 keep their /24");
        assertEquals(3, testDb.count("SELECT count(*) FROM email_events WHERE tenant_id = '" + TRUNCATING
                + "' AND ip_address = '2001:db8:1234::'"), "the IPv6 ones keep their /48");
        assertEquals(0, testDb.count("SELECT count(*) FROM email_events WHERE tenant_id = '" + TRUNCATING
                + "' AND user_agent_id IS NOT NULL"), "no user agent is kept");
        assertEquals(2, testDb.count("SELECT count(*) FROM email_opens WHERE tenant_id = '" + TRUNCATING
                + "' AND ip_address IN ('203.0.113.0', '2001:db8:1234::') AND user_agent_id IS NULL"));
        assertEquals(16, testDb.count("SELECT count(*) FROM email_event_rows WHERE tenant_id = '" + TRUNCATING + "' AND redacted"),
                "every row of it lost its User-Agent, and is marked so: a re-score leaves its verdict alone");
        assertEquals(0, testDb.count("SELECT count(*) FROM email_event_rows WHERE tenant_id = '" + KEEPING
                + "' AND redacted IS NOT NULL"), "a row stored whole carries no mark (a NULL: no byte of the row)");

        Await.until("PostHog has every event it may have", Duration.ofSeconds(30), () -> fake.eventCount() >= 24);
        for (FakePostHog.Captured e : fake.events()) {
            String all = e.properties().toString();
            assertFalse(all.contains(JournalFixture.FULL_V4) || all.contains("5678:9abc"), "a full address in " + all);
            assertFalse(AGGREGATE.toString().equals(e.properties().get("tenant_id")), "an aggregate-only event was sent: " + all);
            if (TRUNCATING.toString().equals(e.properties().get("tenant_id")) && e.properties().containsKey("$ip")) {
                assertTrue(List.of("203.0.113.0", "2001:db8:1234:0:0:0:0:0").contains(e.properties().get("$ip")), all);
            }
        }
        assertEquals(24, fake.eventCount(), "3 recipients of 8 events each; none of the aggregate-only tenant");
        assertTrue(fake.events().stream().anyMatch(e -> KEPT_IP.equals(e.properties().get("$ip"))),
                "a keeping tenant's $ip is sent whole");

        // Aggregate-only: no per-recipient row, the daily counters still count.
        assertEquals(0, rowsHolding("agg-1"), "nothing of the aggregate-only recipient is stored");
        assertEquals(0, rowsHolding("192.0.2.55"));
        assertEquals(1, testDb.count("SELECT count(*) FROM daily_analytics WHERE tenant_id = '" + AGGREGATE
                + "' AND emails_sent = 1 AND emails_delivered = 1 AND opens_total = 2 AND clicks_total = 1 "
                + "AND emails_bounced = 1 AND emails_replied = 1 AND unsubscribes = 1 AND opens_unique = 0"));
    }

    /**
     * Events taken in before an erasure and still in the journal when the hold has passed (a node stopped
     * with an undrained journal, started again days later) are held back by both sinks: they are the
     * recipient's past. Before, the hold ran from when a sink wrote them, and they were stored and sent.
     */
    @Test
    void eventsTakenInBeforeAnErasureAreHeldBackAfterTheHold() throws Exception {
        policy = new PrivacyPolicy(new PrivacySettings(TenantPrivacy.KEEP_ALL, Map.of(), Duration.ofSeconds(1)), erasures,
                System::currentTimeMillis);
        journal.append(KEEPING, USER, EventType.OPEN, "email-past", KEPT_IP);
        journal.append(KEEPING, USER, EventType.CLICK, "email-past", KEPT_IP);
        journal.append(KEEPING, USER, EventType.OPEN, "email-other", KEPT_IP);
        writer.flush();
        long erasedAt;
        try (Connection c = testDb.connect()) {
            Erasure.erase(c, KEEPING, "email-past", "test");
            erasedAt = testDb.count("SELECT (extract(epoch FROM max(erased_at)) * 1000)::bigint FROM erasure_audit");
        }
        erasures.add(KEEPING, "email-past", erasedAt); // what the PostHog sink's reload would bring
        Await.until("the hold passed", Duration.ofSeconds(10), () -> System.currentTimeMillis() > erasedAt + 1500);

        awaitCaughtUp(startSinks());
        assertEquals(0, rowsHolding("email-past"), "nothing of the erased recipient stored");
        assertEquals(1, testDb.count("SELECT count(*) FROM email_events WHERE email_id = 'email-other'"));
        assertTrue(fake.events().stream().noneMatch(e -> "email-past".equals(e.properties().get("email_id"))), "nor sent");
        assertTrue(fake.events().stream().anyMatch(e -> "email-other".equals(e.properties().get("email_id"))));
    }

    /**
     * After an erasure's hold, the recipient's next open is a new first open: stored in email_opens and
     * counted unique. Before, the running sink still "knew" the first open the erasure had deleted and
     * did not write it, so the email had opens and no first open, and the reconciliation agreed.
     */
    @Test
    void afterTheHoldTheRecipientsNextOpenIsAFirstOpenAgain() throws Exception {
        policy = new PrivacyPolicy(new PrivacySettings(TenantPrivacy.KEEP_ALL, Map.of(), Duration.ofSeconds(1)), erasures,
                System::currentTimeMillis);
        SinkStats[] stats = startSinks();
        journal.append(KEEPING, USER, EventType.OPEN, "email-again", KEPT_IP);
        writer.flush();
        awaitCaughtUp(stats);
        assertEquals(1, testDb.count("SELECT count(*) FROM email_opens WHERE email_id = 'email-again'"));
        long erasedAt;
        try (Connection c = testDb.connect()) {
            Erasure.erase(c, KEEPING, "email-again", "test");
            erasedAt = testDb.count("SELECT (extract(epoch FROM max(erased_at)) * 1000)::bigint FROM erasure_audit");
        }
        assertEquals(0, testDb.count("SELECT count(*) FROM email_opens WHERE email_id = 'email-again'"));
        Await.until("the hold passed", Duration.ofSeconds(10), () -> System.currentTimeMillis() > erasedAt + 1500);
        journal.append(KEEPING, USER, EventType.OPEN, "email-again", KEPT_IP);
        writer.flush();
        awaitCaughtUp(stats);
        assertEquals(1, testDb.count("SELECT count(*) FROM email_events WHERE email_id = 'email-again'"), "the new open");
        assertEquals(1, testDb.count("SELECT count(*) FROM email_opens WHERE email_id = 'email-again'"), "its first open again");
    }

    /**
     * A mail server's webhook delivered again, with its id, after the recipient was erased: the sink
     * knows the id still, so the event is neither counted twice nor stored again after the hold. Before,
     * the erasure deleted the recipient's client ids, and the retry brought the erased recipient back.
     */
    @Test
    void aClientsRetryAfterAnErasureIsNotCountedOrStoredAgain() throws Exception {
        policy = new PrivacyPolicy(new PrivacySettings(TenantPrivacy.KEEP_ALL, Map.of(), Duration.ofSeconds(1)), erasures,
                System::currentTimeMillis);
        SinkStats[] stats = startSinks();
        UUID id = journal.append(KEEPING, USER, EventType.SENT, "email-resent", null);
        writer.flush();
        awaitCaughtUp(stats);
        assertEquals(1, testDb.count("SELECT count(*) FROM email_events WHERE email_id = 'email-resent'"));
        long erasedAt;
        try (Connection c = testDb.connect()) {
            Erasure.erase(c, KEEPING, "email-resent", "test");
            erasedAt = testDb.count("SELECT (extract(epoch FROM max(erased_at)) * 1000)::bigint FROM erasure_audit");
        }
        Await.until("the hold passed", Duration.ofSeconds(10), () -> System.currentTimeMillis() > erasedAt + 1500);
        journal.append(id, KEEPING, USER, EventType.SENT, "email-resent", null); // the retry, same id
        writer.flush();
        awaitCaughtUp(stats);
        assertEquals(0, testDb.count("SELECT count(*) FROM email_events WHERE email_id = 'email-resent'"), "not stored again");
        assertEquals(1, testDb.count("SELECT coalesce(sum(emails_sent), 0) FROM daily_analytics WHERE tenant_id = '" + KEEPING + "'"),
                "counted once");
    }

    /**
     * An erasure forgets the ids of the recipient's one-click unsubscribes (marked by the edge, or, journaled
     * before the mark, told by their client address) and keeps a mail server's unsubscribe id: before, it
     * deleted every unsubscribe's id, and the server's retry after the hold was counted and stored again.
     */
    @Test
    void anErasureForgetsOneClickIdsAndKeepsAMailServersUnsubscribeId() throws Exception {
        policy = new PrivacyPolicy(new PrivacySettings(TenantPrivacy.KEEP_ALL, Map.of(), Duration.ofSeconds(1)), erasures,
                System::currentTimeMillis);
        SinkStats[] stats = startSinks();
        UUID server = journal.append(KEEPING, USER, EventType.UNSUBSCRIBED, "email-unsub", null); // ingest API: no address
        journal.oneClick(JournalFixture.v7(), KEEPING, USER, "email-unsub", KEPT_IP, true);
        journal.oneClick(JournalFixture.v7(), KEEPING, USER, "email-unsub", KEPT_IP, false); // an edge older than the mark
        writer.flush();
        awaitCaughtUp(stats);
        assertEquals(3, testDb.count("SELECT count(*) FROM email_events WHERE email_id = 'email-unsub'"));
        assertEquals(3, testDb.count("SELECT count(*) FROM ingest_event_ids WHERE tenant_id = '" + KEEPING + "'"));
        long erasedAt;
        try (Connection c = testDb.connect()) {
            assertEquals(2L, Erasure.erase(c, KEEPING, "email-unsub", "test").deleted().get("ingest_event_ids"));
            erasedAt = testDb.count("SELECT (extract(epoch FROM max(erased_at)) * 1000)::bigint FROM erasure_audit");
        }
        assertEquals(List.of(server.toString()), testDb.rows("SELECT event_id FROM ingest_event_ids WHERE tenant_id = '"
                + KEEPING + "'"));
        Await.until("the hold passed", Duration.ofSeconds(10), () -> System.currentTimeMillis() > erasedAt + 1500);
        journal.append(server, KEEPING, USER, EventType.UNSUBSCRIBED, "email-unsub", null); // the server's retry
        writer.flush();
        awaitCaughtUp(stats);
        assertEquals(0, testDb.count("SELECT count(*) FROM email_events WHERE email_id = 'email-unsub'"), "not stored again");
        assertEquals(3, testDb.count("SELECT coalesce(sum(unsubscribes), 0) FROM daily_analytics WHERE tenant_id = '"
                + KEEPING + "'"), "counted once");
    }

    /**
     * A one-click unsubscribe that reaches the sink after its recipient's erasure, within the hold, leaves no
     * id behind (it is the recipient's), where a mail server's unsubscribe of the same recipient is still
     * recorded, so that its retry is known. Before, the one-click's id was recorded though its event was dropped.
     */
    @Test
    void aOneClickAfterItsRecipientsErasureRecordsNoIdAndAMailServersStillDoes() throws Exception {
        try (Connection c = testDb.connect()) {
            Erasure.erase(c, KEEPING, "email-gone", "test");
        }
        journal.oneClick(JournalFixture.v7(), KEEPING, USER, "email-gone", KEPT_IP, true);
        journal.oneClick(JournalFixture.v7(), KEEPING, USER, "email-gone", KEPT_IP, false); // an edge older than the mark
        UUID server = journal.append(KEEPING, USER, EventType.UNSUBSCRIBED, "email-gone", null);
        writer.flush();
        SinkStats[] stats = startSinks();
        awaitCaughtUp(stats);
        journal.append(server, KEEPING, USER, EventType.UNSUBSCRIBED, "email-gone", null); // the server's retry
        writer.flush();
        awaitCaughtUp(stats);
        assertEquals(0, rowsHolding("email-gone"), "nothing of the recipient is stored");
        assertEquals(List.of(server.toString()), testDb.rows("SELECT event_id FROM ingest_event_ids WHERE tenant_id = '"
                + KEEPING + "'"));
        assertEquals(3, testDb.count("SELECT coalesce(sum(unsubscribes), 0) FROM daily_analytics WHERE tenant_id = '"
                + KEEPING + "'"), "each counted, the server's retry once");
    }

    /**
     * A scanner's burst across two batches of an aggregate-only tenant: the first click, counted human
     * when its batch was written, moves to machine in daily_analytics and daily_unstored when the second
     * reveals the burst, as a stored click's would. Before, the correction found no row to move its
     * counters from, and the first click stayed human for good.
     */
    @Test
    void aCorrectionOfAClickCountedWithoutARowMovesItsCounters() throws Exception {
        io.trackedge.sink.testing.Scripted s = new io.trackedge.sink.testing.Scripted(writer, AGGREGATE);
        long t = io.trackedge.sink.testing.Scripted.startInOneUtcDay(Duration.ofMinutes(5), Duration.ofSeconds(2));
        s.append(EventType.CLICK, "agg-burst", t, io.trackedge.sink.testing.Scripted.ip(203, 0, 113, 4),
                io.trackedge.sink.testing.Scripted.FIREFOX, "https://shop.example/1", 0);
        writer.flush();
        SinkStats[] stats = startSinks();
        awaitCaughtUp(stats);
        String counts = "SELECT clicks_human || '|' || clicks_machine FROM %s WHERE tenant_id = '" + AGGREGATE + "'";
        assertEquals(List.of("1|0"), testDb.rows(counts.formatted("daily_analytics")));
        s.append(EventType.CLICK, "agg-burst", t + 500_000, io.trackedge.sink.testing.Scripted.ip(203, 0, 113, 9),
                io.trackedge.sink.testing.Scripted.FIREFOX, "https://shop.example/2", 0);
        writer.flush();
        awaitCaughtUp(stats);
        assertEquals(List.of("0|2"), testDb.rows(counts.formatted("daily_analytics")), "both clicks a scanner's");
        assertEquals(List.of("0|2"), testDb.rows(counts.formatted("daily_unstored")));
        assertEquals(0, rowsHolding("agg-burst"), "and still nothing of the recipient stored");
    }

    /**
     * The correction rides every batch until one carrying it commits: two batches in flight both carried it, and
     * the counters of a click counted without a row moved twice (-1 human, 3 machine for a burst of two).
     */
    @Test
    void aCorrectionCarriedByTwoBatchesInFlightMovesRowlessCountersOnce() throws Exception {
        io.trackedge.sink.testing.Scripted s = new io.trackedge.sink.testing.Scripted(writer, AGGREGATE);
        long t = io.trackedge.sink.testing.Scripted.startInOneUtcDay(Duration.ofMinutes(5), Duration.ofSeconds(2));
        s.append(EventType.CLICK, "agg-pipelined", t, io.trackedge.sink.testing.Scripted.ip(203, 0, 113, 4),
                io.trackedge.sink.testing.Scripted.FIREFOX, "https://shop.example/1", 0);
        s.append(EventType.CLICK, "agg-pipelined", t + 500_000, io.trackedge.sink.testing.Scripted.ip(203, 0, 113, 9),
                io.trackedge.sink.testing.Scripted.FIREFOX, "https://shop.example/2", 0);
        s.append(EventType.SENT, "agg-other", t + 600_000, null, null, null, 0);
        List<io.trackedge.sink.Batch> batches = new ArrayList<>(); // one event each
        try (io.trackedge.journal.JournalReader r = new io.trackedge.journal.JournalReader(writer.directory(), 0,
                writer::flushedPosition)) {
            r.read((position, next, bytes, offset, length) -> batches.add(io.trackedge.sink.Batch.of(position, next,
                    List.of(RecordCodec.decode(bytes, offset, length)), new long[] {position})), 10);
        }
        assertEquals(3, batches.size());
        try (PostgresSink sink = new PostgresSink(db, UUID.randomUUID(), new PostgresSink.Settings(false, 0),
                io.trackedge.sink.JournalClassifier.of(io.trackedge.classify.ClassifierSettings.DEFAULTS,
                        io.trackedge.classify.ListSource.snapshot()), policy)) {
            assertEquals(0, sink.open());
            sink.write(batches.get(0)).get(30, java.util.concurrent.TimeUnit.SECONDS);
            // The second click makes the first a scanner's; the batch after it is written before that one commits.
            var second = sink.write(batches.get(1));
            var third = sink.write(batches.get(2));
            second.get(30, java.util.concurrent.TimeUnit.SECONDS);
            third.get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
        String counts = "SELECT clicks_human || '|' || clicks_machine FROM %s WHERE tenant_id = '" + AGGREGATE
                + "' AND clicks_human + clicks_machine > 0";
        assertEquals(List.of("0|2"), testDb.rows(counts.formatted("daily_analytics")), "both clicks a scanner's, each counted once");
        assertEquals(List.of("0|2"), testDb.rows(counts.formatted("daily_unstored")));
    }

    /**
     * A batch holding a burst failed, and is read again after a batch before it (a failed pair re-read from the
     * cursor, or cut another way): that earlier batch carries the burst's correction, but the corrected click is
     * not counted yet, and is counted with its corrected verdict when its batch is written. Before, the earlier
     * batch moved its counters first (-1 human, 3 machine).
     */
    @Test
    void aCorrectionOfAClickNotWrittenYetMovesNoCounters() throws Exception {
        io.trackedge.sink.testing.Scripted s = new io.trackedge.sink.testing.Scripted(writer, AGGREGATE);
        long t = io.trackedge.sink.testing.Scripted.startInOneUtcDay(Duration.ofMinutes(5), Duration.ofSeconds(2));
        s.append(EventType.SENT, "agg-other", t, null, null, null, 0);
        s.append(EventType.CLICK, "agg-refused", t + 100_000, io.trackedge.sink.testing.Scripted.ip(203, 0, 113, 4),
                io.trackedge.sink.testing.Scripted.FIREFOX, "https://shop.example/1", 0);
        s.append(EventType.CLICK, "agg-refused", t + 600_000, io.trackedge.sink.testing.Scripted.ip(203, 0, 113, 9),
                io.trackedge.sink.testing.Scripted.FIREFOX, "https://shop.example/2", 0);
        List<EventRecord> events = new ArrayList<>();
        List<Long> positions = new ArrayList<>();
        long[] end = {0};
        try (io.trackedge.journal.JournalReader r = new io.trackedge.journal.JournalReader(writer.directory(), 0,
                writer::flushedPosition)) {
            r.read((position, next, bytes, offset, length) -> {
                events.add(RecordCodec.decode(bytes, offset, length));
                positions.add(position);
                end[0] = next;
            }, 10);
        }
        List<io.trackedge.sink.Batch> one = new ArrayList<>(); // a batch per event
        for (int i = 0; i < 3; i++) {
            one.add(io.trackedge.sink.Batch.of(positions.get(i), i + 1 < 3 ? positions.get(i + 1) : end[0], List.of(events.get(i)),
                    new long[] {positions.get(i)}));
        }
        try (PostgresSink sink = new PostgresSink(db, UUID.randomUUID(), new PostgresSink.Settings(false, 0),
                io.trackedge.sink.JournalClassifier.of(io.trackedge.classify.ClassifierSettings.DEFAULTS,
                        io.trackedge.classify.ListSource.snapshot()), policy)) {
            assertEquals(positions.get(0).longValue(), sink.open());
            // The clicks' batches first, against a cursor not at their start: refused (as when the batch before them
            // failed); the second click makes the first a scanner's, a correction now pending.
            for (int i = 1; i < 3; i++) {
                io.trackedge.sink.Batch b = one.get(i);
                java.util.concurrent.ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(
                        java.util.concurrent.ExecutionException.class, () -> sink.write(b).get(30, java.util.concurrent.TimeUnit.SECONDS));
                assertTrue(String.valueOf(refused.getCause()).contains("cursor"), String.valueOf(refused.getCause()));
            }
            for (io.trackedge.sink.Batch b : one) { // in order now: the first carries the correction
                sink.write(b).get(30, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
        String counts = "SELECT clicks_human || '|' || clicks_machine FROM %s WHERE tenant_id = '" + AGGREGATE
                + "' AND clicks_human + clicks_machine > 0";
        assertEquals(List.of("0|2"), testDb.rows(counts.formatted("daily_analytics")), "both clicks a scanner's, each counted once");
        assertEquals(List.of("0|2"), testDb.rows(counts.formatted("daily_unstored")));
    }

    @Test
    void afterAnErasureNothingOfTheRecipientRemainsAndPostHogIsAskedToDeleteThePerson() throws Exception {
        journal.recipient(KEEPING, USER, "email-erase", KEPT_IP);
        journal.recipient(KEEPING, USER, "email-stays", KEPT_IP);
        journal.recipient(TRUNCATING, USER, "email-erase", JournalFixture.FULL_V4); // same id, another tenant
        journal.oneClick(JournalFixture.v7(), KEEPING, USER, "email-erase", KEPT_IP, true); // besides the mail server's
        writer.flush();
        SinkStats[] stats = startSinks();
        awaitCaughtUp(stats);
        byte[] bad = journal.record(KEEPING, USER, EventType.CLICK, "email-erase", KEPT_IP);
        EventRecord badEvent = RecordCodec.decode(bad, 0, bad.length);
        try (Connection c = testDb.connect()) {
            UncheckedBadEvents.insert(c, "postgres", UUID.randomUUID(), new BadRecord(1, 2, bad, badEvent, "refused for the test", "22001"));
        }
        List<UUID> ids = new ArrayList<>();
        try (Connection c = testDb.connect(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT event_id FROM email_events WHERE tenant_id = '" + KEEPING
                     + "' AND email_id = 'email-erase'")) {
            while (r.next()) {
                ids.add(r.getObject(1, UUID.class));
            }
        }
        ids.add(badEvent.id());
        assertEquals(10, ids.size());
        assertTrue(testDb.count("SELECT count(*) FROM ingest_event_ids WHERE tenant_id = '" + KEEPING + "'") > 0);
        String dailyBefore = daily();
        List<String> eventDays = testDb.rows("SELECT DISTINCT (occurred_at AT TIME ZONE 'UTC')::date FROM email_events"
                + " WHERE tenant_id = '" + KEEPING + "' AND email_id = 'email-erase' ORDER BY 1");
        try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
            s.execute("DELETE FROM analytics_late_days"); // a caught-up sink marks no more
        }

        PersonDeletion posthog = new PersonDeletion(new PersonDeletion.Settings(fake.host(), "4242",
                FakePostHog.PERSONAL_API_KEY, Duration.ofSeconds(5)));
        RecipientEraser eraser = new RecipientEraser(db.dataSource(), erasures, posthog, System::currentTimeMillis);
        RecipientEraser.Outcome out = eraser.erase(KEEPING, "email-erase", "test:privacy-it");

        assertEquals("requested", out.posthog());
        assertEquals(9L, out.deleted().get("email_events"));
        assertEquals(1L, out.deleted().get("bad_events"));
        for (String t : tables()) {
            List<String> columns = columns(t);
            if (columns.contains("email_id") && columns.contains("tenant_id")) {
                assertEquals(0, testDb.count("SELECT count(*) FROM " + t + " WHERE tenant_id = '" + KEEPING
                        + "' AND email_id = 'email-erase'"), t);
            }
            if (columns.contains("event_id") && !t.equals("ingest_event_ids")) { // a mail server's client ids stay, below
                for (UUID id : ids) {
                    assertEquals(0, testDb.count("SELECT count(*) FROM " + t + " WHERE event_id = '" + id + "'"), t + " " + id);
                }
            }
        }
        assertEquals(0, rowsHolding(KEPT_IP + " ") + testDb.count("SELECT count(*) FROM email_events WHERE tenant_id = '"
                + KEEPING + "' AND url LIKE '%email-erase%'"));
        assertEquals(8, testDb.count("SELECT count(*) FROM email_events WHERE tenant_id = '" + KEEPING
                + "' AND email_id = 'email-stays'"), "another recipient keeps every row");
        assertEquals(8, testDb.count("SELECT count(*) FROM email_events WHERE tenant_id = '" + TRUNCATING
                + "' AND email_id = 'email-erase'"), "the same email id in another tenant is another recipient");
        // Client ids: the one-click unsubscribe's goes (its id is an HMAC of the recipient's fields), the mail
        // server's stay, its unsubscribe's too, naming no one, so that a retry is not counted again.
        assertEquals(List.of("bounced", "delivered", "replied", "sent", "unsubscribed"), testDb.rows("SELECT event_type FROM ingest_event_ids"
                + " WHERE event_id IN (" + ids.stream().map(id -> "'" + id + "'").collect(java.util.stream.Collectors.joining(","))
                + ") ORDER BY 1"));
        assertEquals(1L, out.deleted().get("ingest_event_ids"));
        assertEquals(dailyBefore, daily(), "aggregates are not adjusted");
        assertEquals(eventDays, testDb.rows("SELECT day FROM analytics_late_days WHERE job_type = 'lead_analytics' ORDER BY 1"),
                "lead_analytics, which names the email's lead, is re-run for the email's days (sql/V36)");
        assertEquals(0, testDb.count("SELECT count(*) FROM analytics_late_days WHERE job_type IS NULL"), "and no other roll-up");

        assertEquals(List.of(new FakePostHog.PersonDeletionCall("4242", List.of("email-erase"), true)), fake.personDeletions());
        assertEquals(1, testDb.count("SELECT count(*) FROM erasure_audit WHERE tenant_id = '" + KEEPING
                + "' AND email_hash = decode('" + RecipientHash.hex(KEEPING, "email-erase") + "', 'hex') "
                + "AND requested_by = 'test:privacy-it' AND posthog = 'requested' AND (deleted->>'email_events')::int = 9"));
        assertEquals(0, rowsHolding("email-erase") - testDb.count("SELECT count(*) FROM email_events x WHERE tenant_id = '"
                + TRUNCATING + "' AND x::text LIKE '%email-erase%'") - testDb.count("SELECT count(*) FROM email_opens x WHERE tenant_id = '"
                + TRUNCATING + "'") - testDb.count("SELECT count(*) FROM email_clicks x WHERE tenant_id = '" + TRUNCATING
                + "'") - testDb.count("SELECT count(*) FROM email_bounces x WHERE tenant_id = '" + TRUNCATING
                + "'") - testDb.count("SELECT count(*) FROM email_replies x WHERE tenant_id = '" + TRUNCATING + "'"),
                "the email id is in no row but the other tenant's");
    }

    @Test
    void eventsStillInTheJournalPastTheCursorsAreDroppedAfterAnErasure() throws Exception {
        // The recipient's events are journaled, the sinks have not read them yet; the erasure comes
        // first (from the CLI, another process, or the API of this one), then the sinks catch up.
        journal.recipient(KEEPING, USER, "email-late", KEPT_IP);
        journal.recipient(KEEPING, USER, "email-other", KEPT_IP);
        RecipientEraser eraser = new RecipientEraser(db.dataSource(), erasures,
                new PersonDeletion(new PersonDeletion.Settings(fake.host(), "4242", FakePostHog.PERSONAL_API_KEY,
                        Duration.ofSeconds(5))), System::currentTimeMillis);
        assertEquals(0L, eraser.erase(KEEPING, "email-late", "test:replay").deleted().get("email_events"));
        awaitCaughtUp(startSinks());

        assertEquals(0, rowsHolding("email-late"), "the late events reached no table");
        assertEquals(8, testDb.count("SELECT count(*) FROM email_events WHERE email_id = 'email-other'"));
        assertEquals(1, testDb.count("SELECT count(*) FROM daily_analytics WHERE tenant_id = '" + KEEPING
                + "' AND emails_sent = 2 AND opens_total = 4"), "both recipients are still counted");
        Await.until("PostHog has the other recipient", Duration.ofSeconds(30), () -> fake.eventCount() >= 8);
        assertEquals(8, fake.eventCount());
        assertTrue(fake.events().stream().noneMatch(e -> "email-late".equals(e.properties().get("email_id"))));
    }

    @Test
    void anotherProcesssErasureReachesThePostgresSinkThroughTheAuditTable() throws Exception {
        // An erasure list this sink never heard of: the Postgres sink reads erasure_audit itself.
        journal.recipient(KEEPING, USER, "email-cli", KEPT_IP);
        try (Connection c = testDb.connect()) {
            Erasure.erase(c, KEEPING, "email-cli", "cli:someone@elsewhere");
        }
        SinkStats[] stats = startSinks();
        long end = writer.flushedPosition();
        Await.until("Postgres reaches the end", Duration.ofSeconds(30), () -> stats[0].committedPosition.get() == end);
        assertEquals(0, testDb.count("SELECT count(*) FROM email_events WHERE email_id = 'email-cli'"));
        assertEquals(1, testDb.count("SELECT count(*) FROM daily_analytics WHERE tenant_id = '" + KEEPING + "' AND emails_sent = 1"));
    }

    private String daily() throws Exception {
        StringBuilder sb = new StringBuilder();
        try (Connection c = testDb.connect(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT tenant_id, emails_sent, opens_total, opens_unique, clicks_total, clicks_unique, "
                     + "emails_bounced, emails_replied, unsubscribes FROM daily_analytics ORDER BY tenant_id")) {
            while (r.next()) {
                for (int i = 1; i <= 9; i++) {
                    sb.append(r.getString(i)).append(i == 9 ? "\n" : ",");
                }
            }
        }
        return sb.toString();
    }

    private List<String> columns(String table) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = testDb.connect(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
                     + "AND table_name = '" + table + "'")) {
            while (r.next()) {
                out.add(r.getString(1));
            }
        }
        return out;
    }
}
