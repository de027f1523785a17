package io.trackedge.sink.postgres;

import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.db.Database;
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
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkStats;
import io.trackedge.sink.testing.Sinks;
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
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Events of the ingest API straight into a journal and through the sink: client ids written once
 * however often they are journaled (in one batch, across batches, across sink restarts), and
 * email_bounces, email_replies, warmup_interactions, warmup_daily_stats and daily_analytics equal
 * to recounts of email_events. A client id is a duplicate only within its tenant.
 */
class IngestSinkIT {

    private static final UUID TENANT = UUID.fromString("44444444-4444-4444-8444-444444444444");
    private static final UUID USER = UUID.fromString("cccccccc-cccc-4ccc-8ccc-cccccccccccc");
    private static final UUID OTHER_TENANT = UUID.fromString("55555555-5555-4555-8555-555555555555");
    private static final EventType[] INGEST_TYPES = {EventType.SENT, EventType.DELIVERED, EventType.BOUNCED,
        EventType.REPLIED, EventType.UNSUBSCRIBED, EventType.COMPLAINED, EventType.WARMUP_OPEN, EventType.WARMUP_REPLY};

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
        append(in, TENANT, now);
    }

    private void append(Ingested in, UUID tenant, long occurredAtMicros) {
        event.reset(in.type, in.id.getMostSignificantBits(), in.id.getLeastSignificantBits(), occurredAtMicros);
        EventFields f = in.type.isWarmup()
                ? new EventFields(tenant, USER, EventFields.ABSENT, "warm-" + in.n % 4, EventFields.ABSENT, null, null, null)
                : new EventFields(tenant, USER, "camp-" + in.n % 3, "mbox-" + in.n % 2, "email-" + in.n, "lead-" + in.n,
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

    private SinkLoop sink(UUID node, SinkStats stats, int batch) {
        return Sinks.postgres(db, journalDir, writer::flushedPosition, node, batch, Duration.ofMillis(2), Duration.ofMillis(500), stats);
    }

    private void runSinkToEnd(UUID node, int batch) throws Exception {
        SinkStats stats = new SinkStats();
        SinkLoop sink = sink(node, stats, batch);
        sink.start();
        long end = writer.flushedPosition();
        // within, not until: a timeout's message should carry the sink's last error
        boolean caughtUp = Await.within(Duration.ofSeconds(60), () -> stats.committedPosition.get() >= end);
        assertTrue(caughtUp, "sink did not catch up in 60 s: " + sink.health().lastError());
        assertEquals(end, stats.committedPosition.get(), "committed up to the end, not beyond");
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
        assertEquals(0, testDb.count("SELECT count(*) FROM email_events WHERE event_type::text LIKE 'warmup%' "
                + "AND (campaign_id IS NOT NULL OR email_id IS NOT NULL)"));
        assertEquals(0, testDb.count("SELECT count(*) FROM daily_analytics WHERE warmup_opens + warmup_replies > 0 "
                + "AND campaign_id IS NOT NULL"));
        assertTrue(testDb.count("SELECT sum(opens_received) + sum(replies_received) FROM warmup_daily_stats") > 0);
    }

    /**
     * Defect 12 of issue 11: client ids were deduplicated across tenants, so tenant B's event with
     * an id tenant A had used got its 202 and was never stored. Same id, same time, every ingest
     * type: each tenant's event lands once in every table, however often it is journaled.
     */
    @Test
    void twoTenantsThatChooseTheSameIdEachGetTheirEventAndEachOnlyOnce() throws Exception {
        UUID node = UUID.randomUUID();
        long at = System.currentTimeMillis() * 1000;
        List<Ingested> shared = new ArrayList<>();
        for (int i = 0; i < INGEST_TYPES.length; i++) {
            shared.add(new Ingested(INGEST_TYPES[i], UUID.randomUUID(), true, 3 * i)); // n % 3 == 0: one campaign, hard bounce
        }
        for (Ingested e : shared) {
            append(e, TENANT, at);
            append(e, OTHER_TENANT, at); // the same id and occurred-at: the old key (event_id, occurred_at) would refuse the COPY
            append(e, TENANT, at); // a repeat within the batch
        }
        writer.flush();
        runSinkToEnd(node, 1000);
        assertPerTenant(shared.size());

        // retries in later batches, after a sink restart, from both tenants
        for (Ingested e : shared) {
            append(e, OTHER_TENANT, at);
            append(e, TENANT, at);
        }
        writer.flush();
        runSinkToEnd(node, 5);
        assertPerTenant(shared.size());
        assertRecounted();
    }

    private void assertPerTenant(int types) throws Exception {
        for (UUID tenant : new UUID[] {TENANT, OTHER_TENANT}) {
            String of = " WHERE tenant_id = '" + tenant + "'";
            assertEquals(types, testDb.count("SELECT count(*) FROM email_events" + of), "email_events of " + tenant);
            assertEquals(types, testDb.count("SELECT count(DISTINCT event_type) FROM email_events" + of));
            assertEquals(types, testDb.count("SELECT count(*) FROM ingest_event_ids" + of), "ingest_event_ids of " + tenant);
            assertEquals(1, testDb.count("SELECT count(*) FROM email_bounces" + of), "email_bounces of " + tenant);
            assertEquals(1, testDb.count("SELECT count(*) FROM email_replies" + of), "email_replies of " + tenant);
            assertEquals(2, testDb.count("SELECT count(*) FROM warmup_interactions" + of), "warmup_interactions of " + tenant);
            assertEquals(List.of("1|1|1|1|1|1|1|1"), testDb.rows("SELECT sum(emails_sent), sum(emails_delivered), "
                    + "sum(emails_bounced), sum(bounces_hard), sum(emails_replied), sum(unsubscribes), sum(complaints), "
                    + "sum(warmup_opens) FROM daily_analytics" + of), "daily_analytics of " + tenant);
            assertEquals(List.of("1|1"), testDb.rows("SELECT sum(opens_received), sum(replies_received) FROM warmup_daily_stats"
                    + of), "warmup_daily_stats of " + tenant);
        }
        assertEquals(types, testDb.count("SELECT count(DISTINCT event_id) FROM email_events"), "the tenants share their ids");
    }

    /**
     * A batch that writes into a day already closed adds a row for that day, holding its own
     * transaction's id, for the scheduler to run the day's roll-ups again; today's events add
     * nothing. Each later batch adds a row of its own (no batch waits on another's mark).
     */
    @Test
    void eventsOfClosedDaysMarkThoseDaysWithTheirTransaction() throws Exception {
        UUID node = UUID.randomUUID();
        long now = System.currentTimeMillis() * 1000;
        long day = 86_400_000_000L;
        append(new Ingested(EventType.SENT, UUID.randomUUID(), true, 1), TENANT, now);
        append(new Ingested(EventType.BOUNCED, UUID.randomUUID(), true, 2), TENANT, now - 3 * day);
        append(new Ingested(EventType.BOUNCED, UUID.randomUUID(), true, 3), TENANT, now - 3 * day + 1);
        append(new Ingested(EventType.REPLIED, UUID.randomUUID(), true, 4), OTHER_TENANT, now - day);
        writer.flush();
        runSinkToEnd(node, 100);
        String today = testDb.rows("SELECT (to_timestamp(" + now + " / 1e6) AT TIME ZONE 'UTC')::date::text").get(0);
        List<String> expected = testDb.rows("SELECT ('" + today + "'::date - 3)::text UNION ALL SELECT ('" + today + "'::date - 1)::text");
        assertEquals(expected, testDb.rows("SELECT day::text FROM analytics_late_days WHERE day <> '" + today + "' ORDER BY 1"));
        // today only if the day ended before the batch committed (a run across midnight)
        assertEquals(testDb.count("SELECT count(*) FROM analytics_late_days WHERE day = '" + today + "'"),
                testDb.count("SELECT count(*) FROM analytics_late_days WHERE day = '" + today + "' AND marked_at >= '"
                        + today + "'::date + 1"));
        assertEquals(1, testDb.count("SELECT count(DISTINCT xid) FROM analytics_late_days"), "one batch, one transaction");
        assertEquals(testDb.count("SELECT count(*) FROM analytics_late_days"), testDb.count("SELECT count(*) FROM analytics_late_days l JOIN sink_cursors c"
                + " ON c.xmin::text::bigint = l.xid::text::bigint % 4294967296 WHERE c.edge_node = '" + node + "'"),
                "the batch's own transaction, the one that moved the cursor");

        append(new Ingested(EventType.BOUNCED, UUID.randomUUID(), true, 5), TENANT, now - day + 2);
        writer.flush();
        runSinkToEnd(node, 100);
        assertEquals(2, testDb.count("SELECT count(*) FROM analytics_late_days WHERE day = '" + expected.get(1) + "'"));
        assertEquals(2, testDb.count("SELECT count(DISTINCT xid) FROM analytics_late_days"));
    }

    /**
     * A batch that writes into an hour of today that has closed marks that hour with its transaction
     * (sql/V28: an hour's job of the hourly tables recounts only its hour); this hour's events, and
     * those of earlier days (the day marks cover them), mark none. PostgreSQL's clock decides, so the
     * expected hours are its own, read before and after the run: a run across an hour's end may mark
     * the hour that just closed, or not.
     */
    @Test
    void eventsOfClosedHoursOfTodayMarkThoseHoursWithTheirTransaction() throws Exception {
        UUID node = UUID.randomUUID();
        long now = System.currentTimeMillis() * 1000;
        long hour = 3_600_000_000L;
        long[] at = {now, now - 65 * 60_000_000L, now - 3 * hour - 1, now - 3 * hour, now - 26 * hour};
        String ats = java.util.Arrays.stream(at).mapToObj(a -> "to_timestamp(" + a + " / 1e6)").collect(
                java.util.stream.Collectors.joining(", "));
        String closedToday = "SELECT DISTINCT date_trunc('hour', t, 'UTC')::text FROM unnest(ARRAY[" + ats + "]) t"
                + " WHERE t < date_trunc('hour', clock_timestamp(), 'UTC') AND t >= date_trunc('day', clock_timestamp(), 'UTC') ORDER BY 1";
        List<String> before = testDb.rows(closedToday);
        EventType[] types = {EventType.OPEN, EventType.BOUNCED, EventType.SENT, EventType.DELIVERED, EventType.REPLIED};
        for (int i = 0; i < at.length; i++) {
            append(new Ingested(types[i], UUID.randomUUID(), true, 20 + i), TENANT, at[i]);
        }
        writer.flush();
        runSinkToEnd(node, 100);
        List<String> marked = testDb.rows("SELECT DISTINCT hour::text FROM analytics_late_hours ORDER BY 1");
        List<String> after = testDb.rows(closedToday);
        assertTrue(marked.containsAll(before) && after.containsAll(marked) || before.size() > after.size(),
                "marked " + marked + ", closed hours of today among the events " + before + " before the run, " + after + " after");
        assertEquals(0, testDb.count("SELECT count(*) FROM analytics_late_hours WHERE hour >= date_trunc('hour', clock_timestamp(), 'UTC')"
                + " OR hour < date_trunc('day', clock_timestamp(), 'UTC') - interval '1 hour'"), "no open hour, no earlier day's");
        assertEquals(testDb.count("SELECT count(*) FROM analytics_late_hours"), testDb.count("SELECT count(*) FROM analytics_late_hours l"
                + " JOIN sink_cursors c ON c.xmin::text::bigint = l.xid::text::bigint % 4294967296 WHERE c.edge_node = '" + node + "'"),
                "the batch's own transaction, the one that moved the cursor");
    }

    /**
     * An open of an earlier day (yesterday too) older than an email's first open of today moves that
     * first out of its hour of today: that hour is marked, as a closed day holding it would be.
     */
    @Test
    void anOpenOfYesterdayMarksTheHourOfTodayHoldingTheEmailsFirstOpen() throws Exception {
        UUID node = UUID.randomUUID();
        long now = System.currentTimeMillis() * 1000;
        long hour = 3_600_000_000L;
        long firstToday = Math.floorDiv(now, hour) * hour - hour + 5 * 60_000_000L; // five past, an hour ago
        Assumptions.assumeTrue(Math.floorDiv(firstToday, 24 * hour) == Math.floorDiv(now, 24 * hour),
                "in the first hour of a UTC day no earlier hour of today has closed");
        append(new Ingested(EventType.OPEN, UUID.randomUUID(), false, 9), TENANT, firstToday);
        writer.flush();
        runSinkToEnd(node, 100);
        try (var c = testDb.connect(); var st = c.createStatement()) {
            st.execute("DELETE FROM analytics_late_hours; DELETE FROM analytics_late_days");
        }
        append(new Ingested(EventType.OPEN, UUID.randomUUID(), false, 9), TENANT, now - 24 * hour); // before email-9's first
        append(new Ingested(EventType.OPEN, UUID.randomUUID(), false, 10), TENANT, now - 24 * hour); // no later open
        writer.flush();
        runSinkToEnd(node, 100);
        assertEquals(testDb.rows("SELECT date_trunc('hour', to_timestamp(" + firstToday + " / 1e6), 'UTC')::text"),
                testDb.rows("SELECT DISTINCT hour::text FROM analytics_late_hours ORDER BY 1"));
    }

    /**
     * An open older than an email's first moves that first out of a later day of the stats tables:
     * that later day is marked too, and no other (an open a day late has no such day before today).
     */
    @Test
    void anOldOpenMarksTheLaterDayHoldingTheEmailsFirstOpen() throws Exception {
        UUID node = UUID.randomUUID();
        long now = System.currentTimeMillis() * 1000;
        long day = 86_400_000_000L;
        append(new Ingested(EventType.OPEN, UUID.randomUUID(), false, 7), TENANT, now - 3 * day);
        append(new Ingested(EventType.OPEN, UUID.randomUUID(), false, 7), TENANT, now - 2 * day); // not its first: unmarked
        writer.flush();
        runSinkToEnd(node, 100);
        String today = testDb.rows("SELECT (to_timestamp(" + now + " / 1e6) AT TIME ZONE 'UTC')::date::text").get(0);
        try (var c = testDb.connect(); var st = c.createStatement()) {
            st.execute("DELETE FROM analytics_late_days");
        }
        append(new Ingested(EventType.OPEN, UUID.randomUUID(), false, 7), TENANT, now - 5 * day); // before email-7's first
        append(new Ingested(EventType.OPEN, UUID.randomUUID(), false, 8), TENANT, now - 5 * day); // no later open
        append(new Ingested(EventType.CLICK, UUID.randomUUID(), false, 7), OTHER_TENANT, now - 5 * day); // another tenant's email-7
        writer.flush();
        runSinkToEnd(node, 100);
        assertEquals(testDb.rows("SELECT ('" + today + "'::date - 5)::text UNION ALL SELECT ('" + today + "'::date - 3)::text"),
                testDb.rows("SELECT DISTINCT day::text FROM analytics_late_days ORDER BY 1"));
    }
}
