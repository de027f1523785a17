package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.classify.ClassifierSettings;
import io.trackedge.classify.ListSource;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventType;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.MutableEvent;
import io.trackedge.privacy.PrivacyPolicy;
import io.trackedge.sink.JournalClassifier;
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
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A tenant moved out of this database ({@code tenants_moved_out}, written by {@code clusters move})
 * whose events still come (an edge on the routing table from before the move): they are set aside
 * with code {@code moved}, not written or counted, whether the move was marked before the sink
 * connected or while it runs (caught in the batch's own transaction, before the sink's minute to
 * read the marks again is up); a replay in this database refuses them; and once the mark is gone
 * (the tenant moved back) they are written again, the sink reading the marks again before it refuses. Another tenant's events are written throughout.
 */
class MovedTenantsIT {

    private static final UUID MOVED = UUID.fromString("11111111-1111-4111-8111-111111111111");
    private static final UUID STAYS = UUID.fromString("22222222-2222-4222-8222-222222222222");
    private static final UUID USER = UUID.fromString("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa");

    private TestDatabase testDb;
    private Database db;
    private Path journalDir;
    private JournalWriter writer;
    private final MutableEvent event = new MutableEvent();
    private final JournalIds ids = new JournalIds();
    private final AtomicLong clock = new AtomicLong(System.currentTimeMillis()); // the sink's: moved only by the test
    private PostgresSink sink;
    private SinkStats stats;
    private SinkLoop loop;
    private boolean started;

    @BeforeEach
    void setUp() throws Exception {
        testDb = TestDatabase.create();
        db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 4);
        db.migrate();
        journalDir = Files.createTempDirectory("moved-tenants-it-");
        writer = JournalWriter.open(journalDir, 4L << 20, 1L << 30, new JournalStats());
        sink = new PostgresSink(db, UUID.randomUUID(), new PostgresSink.Settings(false, 0, false, PostgresSink.NAME, t -> true),
                JournalClassifier.disabled(), PrivacyPolicy.keepAll(), clock::get);
        stats = new SinkStats();
        loop = new SinkLoop(sink, journalDir, writer::flushedPosition, Sinks.settings(100, Duration.ofMillis(2), Duration.ofMillis(200)),
                stats, p -> { });
    }

    @AfterEach
    void tearDown() throws Exception {
        if (started) {
            loop.stop(Duration.ofSeconds(5));
        }
        writer.close();
        db.close();
        testDb.close();
    }

    @Test
    void aTenantMarkedBeforeTheSinkConnectedIsSetAsideAndAReplayHereRefusesIt() throws Exception {
        mark(MOVED, "b");
        Set<UUID> moved = opens(MOVED, 0, 40);
        Set<UUID> stays = opens(STAYS, 0, 25);
        caughtUp();

        assertEquals(0, count(MOVED, "email_event_rows"), "nothing of the moved tenant written");
        assertEquals(0, count(MOVED, "daily_analytics"), "nor counted");
        assertEquals(stays.size(), count(STAYS, "email_event_rows"));
        List<BadEvents.Row> aside = aside();
        assertEquals(moved, ids(aside));
        for (BadEvents.Row r : aside) {
            assertEquals(PostgresSink.REFUSED_AS_MOVED, r.errorCode());
            assertTrue(r.error().contains("moved out of this cluster to cluster b"), r.error());
        }
        assertEquals(moved.size(), stats.badEvents.get());

        List<ReplayOutcome> replayed = new PostgresReplay(db, PrivacyPolicy.keepAll(), ClassifierSettings.DEFAULTS,
                ListSource.snapshot(), 0).replay(aside.subList(0, 3));
        for (ReplayOutcome o : replayed) {
            assertFalse(o.replayed(), "replay of " + o.badEventId());
            assertTrue(o.error().contains("moved out of this cluster to cluster b"), o.error());
        }
        assertEquals(0, count(MOVED, "email_event_rows"), "the replay wrote nothing");
    }

    /**
     * The mark lands while the sink runs and before its minute is up (its clock does not move): the
     * next batch's transaction reads it under the batches' lock, rolls back, and read again, the
     * tenant's events are set aside. Without that check they would be written where no read looks.
     */
    @Test
    void aMoveMarkedWhileTheSinkRunsIsCaughtByTheNextBatch() throws Exception {
        Set<UUID> before = opens(MOVED, 0, 20);
        opens(STAYS, 0, 5);
        caughtUp();
        assertEquals(before.size(), count(MOVED, "email_event_rows"));

        mark(MOVED, "b");
        assertNull(sink.refusal(0, probe(MOVED)), "the sink has not read the mark yet");
        Set<UUID> after = opens(MOVED, 100, 30);
        Set<UUID> stays = opens(STAYS, 100, 10);
        caughtUp();
        assertEquals(before.size(), count(MOVED, "email_event_rows"), "none of the later ones written");
        assertEquals(after, ids(aside()));
        assertEquals(5 + stays.size(), count(STAYS, "email_event_rows"));
        assertTrue(stats.failures.get() >= 1, "the batch holding them rolled back first");

        // Moved back: a sink about to refuse reads the marks again (within seconds, not its minute), and writes them here.
        try (Connection c = testDb.connect()) {
            MovedTenants.clearMark(c, MOVED);
        }
        clock.addAndGet(MovedTenants.RECHECK_MILLIS);
        Set<UUID> back = opens(MOVED, 200, 7);
        caughtUp();
        assertEquals(before.size() + back.size(), count(MOVED, "email_event_rows"));
        assertEquals(after, ids(aside()), "nothing more set aside");
    }

    /**
     * A replay that fails for no fault of the event leaves its row untried, for the edges' automatic replay
     * ({@link BadEvents#untried}) to take in the next round: here, first, because its tenant is still marked
     * moved out (pinned back before the move back ran), then, once the move back lifted the mark, because
     * a lock it needs was held past its {@code lock_timeout} (55P03). Recorded as refused, as they were, the
     * edges never wrote a moved-back tenant's set-aside events.
     */
    @Test
    void aReplayThatFailsForTheDatabaseOrAMarkStillThereLeavesItsRowsUntried() throws Exception {
        mark(MOVED, "b");
        Set<UUID> moved = opens(MOVED, 0, 6);
        caughtUp();
        List<BadEvents.Row> aside = aside();
        assertEquals(moved, ids(aside));

        for (ReplayOutcome o : replay(db, aside)) {
            assertFalse(o.replayed());
            assertTrue(o.retryable(), o.error());
            assertTrue(o.error().contains("moved out of this cluster to cluster b"), o.error());
        }
        assertEquals(moved, ids(untried()), "left for the next round, not refused");

        try (Connection c = testDb.connect()) {
            MovedTenants.clearMark(c, MOVED);
        }
        try (Database impatient = new Database(new PostgresConnectionInfo(testDb.jdbcUrl() + "?options=-c%20lock_timeout%3D200",
                "postgres", null), 1); Connection holder = testDb.connect(); java.sql.Statement s = holder.createStatement()) {
            holder.setAutoCommit(false);
            s.execute("LOCK TABLE email_event_rows IN ACCESS EXCLUSIVE MODE");
            for (ReplayOutcome o : replay(impatient, untried())) {
                assertFalse(o.replayed());
                assertTrue(o.retryable(), o.error());
                assertTrue(o.error().contains("lock timeout"), o.error());
            }
            holder.rollback();
        }
        assertEquals(moved, ids(untried()), "left for the next round again");
        assertEquals(0, count(MOVED, "email_event_rows"));

        for (ReplayOutcome o : replay(db, untried())) {
            assertTrue(o.replayed(), o.error());
        }
        assertEquals(moved.size(), count(MOVED, "email_event_rows"), "written by the next round, each once");
        assertEquals(List.of(), untried());
        assertEquals(List.of(), aside());
    }

    private static List<ReplayOutcome> replay(Database on, List<BadEvents.Row> rows) throws Exception {
        return new PostgresReplay(on, PrivacyPolicy.keepAll(), ClassifierSettings.DEFAULTS, ListSource.snapshot(), 0).replay(rows);
    }

    /** What the edges' automatic replay of the moved tenant takes ({@code MovedBackEvents}). */
    private List<BadEvents.Row> untried() throws Exception {
        try (Connection c = testDb.connect()) {
            return BadEvents.untried(c, PostgresSink.NAME, MovedTenants.CODE, List.of(MOVED), 1000);
        }
    }

    private void caughtUp() {
        if (!started) {
            loop.start();
            started = true;
        }
        Await.until("the sink caught up", Duration.ofSeconds(60), () -> stats.committedPosition.get() == writer.flushedPosition());
    }

    private void mark(UUID tenant, String to) throws Exception {
        try (Connection c = testDb.connect()) {
            c.setAutoCommit(false);
            MovedTenants.markMovedOut(c, tenant, to); // as the move's delete does, under the batches' lock
            c.commit();
        }
    }

    private Set<UUID> opens(UUID tenant, int from, int n) {
        Set<UUID> out = new HashSet<>();
        for (int i = from; i < from + n; i++) {
            out.add(append(tenant, i));
        }
        writer.flush();
        return out;
    }

    private UUID append(UUID tenant, int email) {
        long now = System.currentTimeMillis();
        UUID id = new UUID(ids.next(now), ThreadLocalRandom.current().nextLong() & 0x3FFFFFFFFFFFFFFFL | 0x8000000000000000L);
        event.reset(EventType.OPEN, id.getMostSignificantBits(), id.getLeastSignificantBits(), now * 1000);
        byte[] block = FieldsCodec.encode(new EventFields(tenant, USER, "camp", "mbox", "email-" + email, "lead-" + email,
                "step-1", null));
        event.fields(block, 0, block.length);
        event.userAgent("Mozilla/5.0 (test)");
        assertTrue(writer.tryAppend(event));
        return id;
    }

    private static io.trackedge.journal.EventRecord probe(UUID tenant) {
        return new io.trackedge.journal.EventRecord(UUID.randomUUID(), EventType.OPEN, 0, System.currentTimeMillis() * 1000, null,
                "ua", new EventFields(tenant, USER, "c", "m", "e", "l", "s", null), null, java.util.Map.of());
    }

    private List<BadEvents.Row> aside() throws Exception {
        try (Connection c = testDb.connect()) {
            return BadEvents.list(c, PostgresSink.NAME, false, 1000);
        }
    }

    private static Set<UUID> ids(List<BadEvents.Row> rows) {
        Set<UUID> out = new HashSet<>();
        rows.forEach(r -> out.add(r.eventId()));
        return out;
    }

    private long count(UUID tenant, String table) throws Exception {
        return testDb.count("SELECT count(*) FROM " + table + " WHERE tenant_id = '" + tenant + "'");
    }
}
