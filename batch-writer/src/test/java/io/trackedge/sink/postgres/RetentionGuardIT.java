package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.classify.ListSource;
import io.trackedge.db.Database;
import io.trackedge.db.LockWait;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.MutableEvent;
import io.trackedge.privacy.PrivacyPolicy;
import io.trackedge.sink.Sink;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkStats;
import io.trackedge.sink.bad.BadEvents;
import io.trackedge.sink.bad.ReplayOutcome;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.JournalIds;
import io.trackedge.sink.testing.Sinks;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A sink with raw events kept 7 days, given events 10 days old among today's (a sink that fell
 * days behind, an edge whose clock ran behind the database's): the old ones are set aside with the setting named,
 * never written into the default partition nor queued as a late day, and a replay refuses them
 * again. Another cluster's tenant is passed, not set aside.
 */
class RetentionGuardIT {

    private static final UUID TENANT = UUID.fromString("11111111-1111-4111-8111-111111111111");
    private static final UUID ELSEWHERE = UUID.fromString("22222222-2222-4222-8222-222222222222");
    private static final UUID USER = UUID.fromString("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa");
    private static final long DAY_MICROS = ChronoUnit.DAYS.getDuration().toNanos() / 1000;

    private TestDatabase testDb;
    private Database db;
    private Path journalDir;
    private JournalWriter writer;
    private final MutableEvent event = new MutableEvent();
    private final JournalIds ids = new JournalIds();

    @BeforeEach
    void setUp() throws Exception {
        testDb = TestDatabase.create();
        db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 4);
        db.migrate();
        journalDir = Files.createTempDirectory("retention-guard-it-");
        writer = JournalWriter.open(journalDir, 4L << 20, 1L << 30, new JournalStats());
    }

    @AfterEach
    void tearDown() throws Exception {
        writer.close();
        db.close();
        testDb.close();
    }

    /** Stages an open of {@code tenant} that occurred {@code daysAgo} days ago, and returns its id. */
    private UUID open(UUID tenant, int daysAgo, int email) {
        long now = System.currentTimeMillis();
        UUID id = new UUID(ids.next(now), ThreadLocalRandom.current().nextLong() & 0x3FFFFFFFFFFFFFFFL | 0x8000000000000000L);
        event.reset(EventType.OPEN, id.getMostSignificantBits(), id.getLeastSignificantBits(), now * 1000 - daysAgo * DAY_MICROS);
        byte[] block = FieldsCodec.encode(new EventFields(tenant, USER, "camp", "mbox", "email-" + email, "lead-" + email,
                "step-1", null));
        event.fields(block, 0, block.length);
        event.userAgent("Mozilla/5.0 (test)");
        assertTrue(writer.tryAppend(event));
        return id;
    }

    @Test
    void eventsOfADayRetentionDroppedAreSetAsideNotWrittenAndAReplayRefusesThem() throws Exception {
        Set<UUID> fresh = new HashSet<>();
        Set<UUID> old = new HashSet<>();
        for (int i = 0; i < 300; i++) {
            if (i % 50 == 7) {
                old.add(open(TENANT, 10, i));
            } else {
                fresh.add(open(TENANT, 0, i));
            }
        }
        for (int i = 0; i < 150; i++) { // a sink days behind: a run of them
            old.add(open(TENANT, 10, 1000 + i));
        }
        UUID othersOld = open(ELSEWHERE, 10, 999);
        writer.flush();

        PostgresSink sink = new PostgresSink(db, UUID.randomUUID(),
                new PostgresSink.Settings(false, 7, true, PostgresSink.NAME, t -> !t.equals(ELSEWHERE)));
        SinkStats stats = new SinkStats();
        SinkLoop loop = new SinkLoop(sink, journalDir, writer::flushedPosition,
                Sinks.settings(100, Duration.ofMillis(2), Duration.ofMillis(500)), stats, p -> { });
        loop.start();
        try {
            Await.until("the sink caught up", Duration.ofSeconds(60),
                    () -> stats.committedPosition.get() == writer.flushedPosition());
        } finally {
            loop.stop(Duration.ofSeconds(5));
        }

        assertEquals(fresh.size(), testDb.count("SELECT count(*) FROM email_events"), "today's events, each once");
        assertEquals(0, testDb.count("SELECT count(*) FROM email_events WHERE occurred_at < now() - interval '8 days'"));
        assertEquals(0, testDb.count("SELECT count(*) FROM analytics_late_days WHERE day < current_date - 8"),
                "no dropped day queued for a re-run");
        List<BadEvents.Row> aside;
        try (Connection c = testDb.connect()) {
            aside = BadEvents.list(c, PostgresSink.NAME, false, 1000);
        }
        Set<UUID> asideIds = new HashSet<>();
        for (BadEvents.Row r : aside) {
            asideIds.add(r.eventId());
            assertEquals("retention", r.errorCode());
            // the sink's own housekeeping at connect dropped the days past 7, so the drop's mark is named
            assertTrue(r.error().contains("the last day retention dropped") && r.error().contains("(7 here;"), r.error());
        }
        assertEquals(old, asideIds, "every old event of this database's tenants set aside, the other cluster's passed");
        assertTrue(testDb.count("SELECT count(DISTINCT xmin::text) FROM bad_events") <= 6 + 3,
                "the six lone ones a transaction each, the run of 150 a batch (100) at a time");
        assertEquals(old.size(), stats.badEvents.get());
        assertFalse(asideIds.contains(othersOld));

        List<ReplayOutcome> replayed = new PostgresReplay(db, PrivacyPolicy.keepAll(), io.trackedge.classify.ClassifierSettings.DEFAULTS, ListSource.snapshot(), 7).replay(aside);
        for (ReplayOutcome o : replayed) {
            assertFalse(o.replayed(), "replay of " + o.badEventId());
            assertTrue(o.error().contains("edge.database.retention-days"), o.error());
        }
        assertEquals(fresh.size(), testDb.count("SELECT count(*) FROM email_events"), "a refused replay writes nothing");
        assertEquals(old.size(), testDb.count("SELECT count(*) FROM bad_events WHERE replayed_at IS NULL "
                + "AND last_replay_error LIKE '%edge.database.retention-days%'"), "still listed, with the reason");
    }

    private static EventRecord daysOld(int days) {
        return new EventRecord(UUID.randomUUID(), EventType.OPEN, 0, System.currentTimeMillis() * 1000 - days * DAY_MICROS, null, "ua",
                new EventFields(TENANT, USER, "c", "m", "e", "l", "s", null), null, Map.of());
    }

    /**
     * Against the real database: {@link RetentionCutoff#measure} takes the database's clock, with its
     * sign (ours set two days behind: with our clock alone, or the offset turned round, an event 8
     * days old would look 6 or 4 days old and be taken), and a day a retention run dropped stays
     * refused by a sink that keeps longer, once it reads the marks again (V31).
     */
    /**
     * A refused event (here of a day retention dropped) of a recipient erased since it was taken in is not
     * set aside in bad_events, which the erasure emptied of that recipient; another recipient's is.
     * Before, it was: the full record of an erased recipient, kept after the erasure.
     */
    @Test
    void aRefusedEventOfAnErasedRecipientIsNotSetAside() throws Exception {
        UUID gone = open(TENANT, 10, 5);
        UUID kept = open(TENANT, 10, 6);
        writer.flush();
        try (Connection c = testDb.connect()) {
            io.trackedge.privacy.Erasure.erase(c, TENANT, "email-5", "test");
        }
        SinkStats stats = new SinkStats();
        SinkLoop loop = new SinkLoop(new PostgresSink(db, UUID.randomUUID(), new PostgresSink.Settings(false, 7)), journalDir,
                writer::flushedPosition, Sinks.settings(100, Duration.ofMillis(2), Duration.ofMillis(500)), stats, p -> { });
        loop.start();
        try {
            Await.until("the sink caught up", Duration.ofSeconds(60), () -> stats.committedPosition.get() == writer.flushedPosition());
        } finally {
            loop.stop(Duration.ofSeconds(5));
        }
        List<UUID> aside = new ArrayList<>();
        try (Connection c = testDb.connect()) {
            for (BadEvents.Row r : BadEvents.list(c, PostgresSink.NAME, false, 100)) {
                aside.add(r.eventId());
            }
        }
        assertEquals(List.of(kept), aside, "the erased recipient's event is not kept (" + gone + ")");
    }

    @Test
    void theCutoffReadsTheDatabasesClockAndTheDaysRetentionDropped() throws Exception {
        long twoDays = TimeUnit.DAYS.toMillis(2);
        RetentionCutoff behind = new RetentionCutoff(7, () -> System.currentTimeMillis() - twoDays);
        try (Connection c = testDb.connect()) {
            behind.measure(c);
        }
        assertNotNull(behind.refusal(daysOld(8)), "8 days old by the database's clock");
        assertNull(behind.refusal(daysOld(5)));

        java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong(System.currentTimeMillis());
        RetentionCutoff raised = new RetentionCutoff(30, clock::get); // a sink keeping 30 days, connected before the drop
        try (Connection c = testDb.connect()) {
            raised.measure(c);
        }
        assertNull(raised.refusal(daysOld(9)));
        assertFalse(raised.due());
        try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
            // an older run at 30 days, then a node keeping 7 drops
            s.execute("INSERT INTO email_events_dropped_through (day) VALUES ((now() AT TIME ZONE 'UTC')::date - 31)");
            s.execute("SELECT email_events_ensure_partitions(10, 0)");
            assertEquals(3, PartitionMaintainer.dropExpired(c, 7), "the partitions 10 to 8 days back dropped");
        }
        clock.addAndGet(RetentionCutoff.REMEASURE.toMillis());
        assertTrue(raised.due(), "read again a minute on");
        try (Connection c = testDb.connect()) {
            raised.measure(c);
        }
        Sink.Refusal r = raised.refusal(daysOld(9));
        assertNotNull(r, "a dropped day, though 30 days are kept here: the latest mark, not the oldest");
        assertTrue(r.reason().contains("the last day retention dropped"), r.reason());
        assertNull(raised.refusal(daysOld(6)));
    }

    /** A running sink reads the marks again a minute on: a day another node dropped since it connected is refused. */
    @Test
    void aRunningSinkRefusesADayAnotherNodeDroppedSinceItConnected() throws Exception {
        java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong(System.currentTimeMillis());
        PostgresSink sink = new PostgresSink(db, UUID.randomUUID(),
                new PostgresSink.Settings(false, 30, false, PostgresSink.NAME, t -> true), io.trackedge.sink.JournalClassifier.disabled(),
                PrivacyPolicy.keepAll(), clock::get);
        try {
            sink.open();
            assertNull(sink.refusal(0, daysOld(9)), "kept 30 days, nothing dropped yet");
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute("SELECT email_events_ensure_partitions(10, 0)");
                assertEquals(3, PartitionMaintainer.dropExpired(c, 7), "a node keeping 7 days drops");
            }
            assertNull(sink.refusal(0, daysOld(9)), "not read again yet");
            clock.addAndGet(RetentionCutoff.REMEASURE.toMillis());
            assertNotNull(sink.refusal(0, daysOld(9)), "read again a minute on");
        } finally {
            sink.close();
        }
    }

    /**
     * A node keeping 7 days drops while a sink keeping 30 runs, and the sink's next batch holds an
     * event of a dropped day before the sink has read the marks again (its clock never moves here):
     * the batch's transaction reads the mark after its COPY and rolls back, and read again, the event
     * is set aside. Without that check the event lands in the default partition.
     */
    @Test
    void aBatchWrittenAfterAnotherNodeDroppedItsDayIsRolledBackAndItsEventSetAside() throws Exception {
        java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong(System.currentTimeMillis());
        PostgresSink sink = new PostgresSink(db, UUID.randomUUID(),
                new PostgresSink.Settings(false, 30, false, PostgresSink.NAME, t -> true), io.trackedge.sink.JournalClassifier.disabled(),
                PrivacyPolicy.keepAll(), clock::get);
        SinkStats stats = new SinkStats();
        SinkLoop loop = new SinkLoop(sink, journalDir, writer::flushedPosition,
                Sinks.settings(100, Duration.ofMillis(2), Duration.ofMillis(200)), stats, p -> { });
        Set<UUID> fresh = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            fresh.add(open(TENANT, 0, i));
        }
        writer.flush();
        loop.start();
        try {
            Await.until("the first batches written", Duration.ofSeconds(60),
                    () -> stats.committedPosition.get() == writer.flushedPosition());
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute("SELECT email_events_ensure_partitions(10, 0)");
                assertEquals(3, PartitionMaintainer.dropExpired(c, 7), "another node, keeping 7 days, drops");
            }
            Set<UUID> old = new HashSet<>();
            for (int i = 0; i < 30; i++) {
                if (i % 6 == 3) {
                    old.add(open(TENANT, 9, 100 + i));
                } else {
                    fresh.add(open(TENANT, 0, 100 + i));
                }
            }
            writer.flush();
            Await.until("the sink caught up", Duration.ofSeconds(60),
                    () -> stats.committedPosition.get() == writer.flushedPosition());

            assertEquals(0, testDb.count("SELECT count(*) FROM email_events WHERE occurred_at < now() - interval '8 days'"),
                    "no event of a dropped day written");
            assertEquals(fresh.size(), testDb.count("SELECT count(*) FROM email_events"), "today's, each once");
            assertEquals(0, testDb.count("SELECT count(*) FROM analytics_late_days WHERE day < current_date - 7"));
            Set<UUID> asideIds = new HashSet<>();
            try (Connection c = testDb.connect()) {
                for (BadEvents.Row r : BadEvents.list(c, PostgresSink.NAME, false, 1000)) {
                    asideIds.add(r.eventId());
                    assertEquals("retention", r.errorCode());
                    assertTrue(r.error().contains("the last day retention dropped"), r.error());
                }
            }
            assertEquals(old, asideIds);
            assertTrue(stats.failures.get() >= 1, "the batch holding them rolled back first");
            assertFalse(sink.refusal(0, daysOld(9)) == null, "the sink has read the mark again, without its minute passing");
        } finally {
            loop.stop(Duration.ofSeconds(5));
        }
    }

    /**
     * The same for a tenant whose events are only counted (aggregate-only): a batch of them copies
     * nothing, yet it would count the old event on its dropped day and mark that day for a re-run.
     */
    @Test
    void aCountedOnlyEventOfADayAnotherNodeDroppedIsSetAsideToo() throws Exception {
        java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong(System.currentTimeMillis());
        PrivacyPolicy aggregateOnly = new PrivacyPolicy(new io.trackedge.privacy.PrivacySettings(io.trackedge.privacy.TenantPrivacy.KEEP_ALL,
                Map.of(TENANT, new io.trackedge.privacy.TenantPrivacy(io.trackedge.privacy.IpMode.KEEP, true, true)), Duration.ofDays(7)),
                io.trackedge.privacy.ErasureList.empty(), System::currentTimeMillis);
        PostgresSink sink = new PostgresSink(db, UUID.randomUUID(),
                new PostgresSink.Settings(false, 30, false, PostgresSink.NAME, t -> true), io.trackedge.sink.JournalClassifier.disabled(),
                aggregateOnly, clock::get);
        SinkStats stats = new SinkStats();
        SinkLoop loop = new SinkLoop(sink, journalDir, writer::flushedPosition,
                Sinks.settings(100, Duration.ofMillis(2), Duration.ofMillis(200)), stats, p -> { });
        open(TENANT, 0, 1);
        writer.flush();
        loop.start();
        try {
            Await.until("the first batch", Duration.ofSeconds(60), () -> stats.committedPosition.get() == writer.flushedPosition());
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute("SELECT email_events_ensure_partitions(10, 0)");
                assertEquals(3, PartitionMaintainer.dropExpired(c, 7), "another node, keeping 7 days, drops");
            }
            UUID old = open(TENANT, 9, 2);
            open(TENANT, 0, 3);
            writer.flush();
            Await.until("the sink caught up", Duration.ofSeconds(60), () -> stats.committedPosition.get() == writer.flushedPosition());
        } finally {
            loop.stop(Duration.ofSeconds(5));
        }
        assertEquals(0, testDb.count("SELECT count(*) FROM email_events"), "aggregate-only: nothing stored");
        assertEquals(0, testDb.count("SELECT count(*) FROM daily_analytics WHERE date < current_date - 7"), "the old event not counted");
        assertEquals(0, testDb.count("SELECT count(*) FROM analytics_late_days WHERE day < current_date - 7"), "nor its day marked");
        assertEquals(1, testDb.count("SELECT count(*) FROM bad_events WHERE error_code = 'retention'"));
    }

    /**
     * A batch in flight (its COPY holds {@code email_event_rows}' write lock) with an event of a day
     * that has no partition: the retention run waits for its commit before it deletes, so the event,
     * in the default partition, is deleted with its day; without the run's lock it would stay there.
     */
    @Test
    void aRetentionRunWaitsForTheBatchesInFlight() throws Exception {
        try (Connection batch = testDb.connect(); Connection retention = testDb.connect()) {
            batch.setAutoCommit(false);
            try (Statement s = batch.createStatement()) {
                s.execute("INSERT INTO email_event_rows (occurred_at, context_id, tenant_id, event_id, edge_no, event_type) "
                        + "VALUES (now() - interval '9 days', 1, '" + TENANT + "', gen_random_uuid(), 1, 'open')");
            }
            java.util.concurrent.CompletableFuture<Integer> run = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return PartitionMaintainer.dropExpired(retention, 7);
                } catch (java.sql.SQLException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            Await.until("the retention run waiting for the batch's lock", Duration.ofSeconds(30),
                    () -> testDb.waitingForLockOn("email_event_rows") == 1);
            assertFalse(run.isDone());
            try (Statement s = batch.createStatement(); java.sql.ResultSet r = s.executeQuery(
                    "SELECT max(day) FROM email_events_dropped_through")) {
                r.next();
                assertNull(r.getObject(1), "what the batch reads after its COPY: nothing dropped yet, so it commits");
            }
            batch.commit();
            assertEquals(0, run.get(30, TimeUnit.SECONDS), "no partition that old to drop");
        }
        assertEquals(0, testDb.count("SELECT count(*) FROM email_events_default WHERE occurred_at < now() - interval '8 days'"),
                "the run's delete saw the committed event");

        // A batch that holds its lock longer (it waits in Java for the batch before it, which may queue
        // behind the run): the run gives up after its wait, marks nothing, and is retried later.
        try (Connection batch = testDb.connect(); Connection retention = testDb.connect()) {
            batch.setAutoCommit(false);
            try (Statement s = batch.createStatement()) {
                s.execute("LOCK TABLE ONLY email_event_rows IN ROW EXCLUSIVE MODE");
            }
            java.sql.SQLException gaveUp = org.junit.jupiter.api.Assertions.assertThrows(java.sql.SQLException.class,
                    () -> PartitionMaintainer.dropExpired(retention, 5, new LockWait(Duration.ofSeconds(1), 2, Duration.ofMillis(100))));
            assertEquals("55P03", gaveUp.getSQLState(), gaveUp.getMessage());
            // The hourly runs after a day's drop: its mark is there, so no lock is taken, nothing waits.
            assertEquals(0, PartitionMaintainer.dropExpired(retention, 7, new LockWait(Duration.ofSeconds(1), 1, Duration.ZERO)));
            batch.rollback();
        }
        assertEquals(0, testDb.count("SELECT count(*) FROM email_events_dropped_through WHERE day = (now() AT TIME ZONE 'UTC')::date - 6"));
        assertEquals(1, testDb.count("SELECT count(*) FROM email_events_dropped_through WHERE day = (now() AT TIME ZONE 'UTC')::date - 8"));
    }
}
