package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.journal.EventRecord;
import io.trackedge.privacy.PrivacyPolicy;
import io.trackedge.sink.JournalClassifier;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.sink.testing.TestEvents;
import io.trackedge.sink.testing.TestRecords;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two edge nodes' batches that write the same keys (one email's prefetch on one node and its human
 * open on the other; an ingest retry sent to both) take them in one order, so neither can hold a key
 * the other holds while it waits for one the other holds. Here the other node is a transaction that
 * holds the middle key of the batch's three; the batch lists them last, middle, first. Once the batch
 * waits at the middle key, the other node writes the last one. In key order the batch holds only the
 * first key by then, so that write goes through, the other node commits and the batch completes. In
 * the batch's order it would hold the last key: PostgreSQL would find the deadlock after
 * {@code deadlock_timeout} and fail one of the two.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class KeyOrderAcrossNodesIT {

    private static final UUID TENANT = UUID.fromString("34343434-3434-4343-8343-343434343434");
    private static final UUID USER = TestEvents.USER;
    private static final String UA = "Mozilla/5.0";
    private static final JournalClassifier.Classified NONE = new JournalClassifier.Classified(null, List.of());

    private TestDatabase testDb;
    private Database db;
    private CommitPipeline pipeline;
    private Connection otherNode;
    private int otherNodePid;

    @BeforeEach
    void start() throws Exception {
        testDb = TestDatabase.migrated();
        db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 4);
        pipeline = new CommitPipeline(db, BatchWriter.SINK, "test", UUID.randomUUID(), PrivacyPolicy.keepAll(), refused -> { }, reused -> { }, new MovedTenants());
        try (Connection c = db.dataSource().getConnection()) {
            pipeline.cursorWriter().initCursor(c);
        }
        otherNode = testDb.connect();
        otherNode.setAutoCommit(false);
        try (Statement s = otherNode.createStatement()) {
            s.execute("SET lock_timeout = '20s'"); // a deadlock is found after 1 s; this wait only bounds a hang
        }
        otherNodePid = TestDatabase.backendPid(otherNode);
    }

    @AfterEach
    void stop() throws Exception {
        // each closed even when one before it throws or start() stopped half-way
        try (TestDatabase t = testDb; Database d = db; CommitPipeline p = pipeline; Connection o = otherNode) {
            // closed in reverse order: the other node's transaction ends first, then the batches, the pool, the database
        }
    }

    @Test
    void firstOpensOfTheSameEmails() throws Exception {
        String insert = "INSERT INTO email_opens (tenant_id, email_id, user_id, event_id, opened_at) VALUES ('" + TENANT
                + "', '%s', '" + USER + "', gen_random_uuid(), now())";
        CompletableFuture<Integer> batch = raceTheOtherNode(insert.formatted("email-m"),
                List.of(TestRecords.open(TENANT, "email-z", UA), TestRecords.open(TENANT, "email-m", UA), TestRecords.open(TENANT, "email-a", UA)), insert.formatted("email-z"));

        assertEquals(3, batch.get(30, TimeUnit.SECONDS));
        assertEquals(3, testDb.count("SELECT count(*) FROM email_opens"));
        assertEquals(1, testDb.count("SELECT sum(opens_unique) FROM daily_analytics"), "only email-a's open was its first");
        assertEquals(3, testDb.count("SELECT sum(opens_unique_human) FROM daily_analytics"));
        assertEquals(List.of("email-a"), testDb.rows("SELECT o.email_id FROM email_opens o JOIN email_events e USING (tenant_id, event_id)"),
                "email-m and email-z keep the other node's rows");
    }

    @Test
    void warmupCountersOfTheSameMailboxes() throws Exception {
        String insert = "INSERT INTO warmup_daily_stats (tenant_id, user_id, mailbox_id, date, opens_received) VALUES ('" + TENANT
                + "', '" + USER + "', '%s', (now() AT TIME ZONE 'UTC')::date, 5)";
        CompletableFuture<Integer> batch = raceTheOtherNode(insert.formatted("box-m"),
                List.of(TestRecords.warmupOpen(TENANT, "box-z"), TestRecords.warmupOpen(TENANT, "box-m"), TestRecords.warmupOpen(TENANT, "box-a")), insert.formatted("box-z"));

        assertEquals(3, batch.get(30, TimeUnit.SECONDS));
        assertEquals(List.of("box-a 1", "box-m 6", "box-z 6"),
                testDb.rows("SELECT mailbox_id || ' ' || opens_received FROM warmup_daily_stats ORDER BY mailbox_id"));
    }

    @Test
    void clientIdsOfTheSameIngestRetry() throws Exception {
        UUID first = UUID.fromString("10000000-0000-4000-8000-000000000000");
        UUID middle = UUID.fromString("50000000-0000-4000-8000-000000000000");
        UUID last = UUID.fromString("90000000-0000-4000-8000-000000000000");
        String insert = "INSERT INTO ingest_event_ids (tenant_id, event_id, event_type) VALUES ('" + TENANT + "', '%s', 'sent')";
        CompletableFuture<Integer> batch = raceTheOtherNode(insert.formatted(middle),
                List.of(sent(last), sent(middle), sent(first)), insert.formatted(last));

        assertEquals(1, batch.get(30, TimeUnit.SECONDS), "the other node took two of the three ids");
        assertEquals(List.of(first.toString()), testDb.rows("SELECT event_id::text FROM email_events"));
    }

    /**
     * The other node holds the middle key ({@code holdMiddle}); the batch, which lists its keys last,
     * middle, first, starts and waits there; the other node then writes the last key
     * ({@code writeLast}) and commits. Returns the batch.
     */
    private CompletableFuture<Integer> raceTheOtherNode(String holdMiddle, List<EventRecord> lastMiddleFirst, String writeLast)
            throws Exception {
        otherNode(holdMiddle);
        CompletableFuture<Integer> batch = pipeline.submit(lastMiddleFirst, NONE, 0, lastMiddleFirst.size());
        awaitWaiting(batch);
        otherNode(writeLast);
        assertFalse(batch.isDone(), "the batch still waits for the middle key");
        otherNode.commit();
        return batch;
    }

    private void otherNode(String sql) throws Exception {
        try (Statement s = otherNode.createStatement()) {
            s.execute(sql);
        }
    }

    /**
     * Until a backend of this test's database waits for the other node's transaction (or the batch has
     * ended, which the caller's get() reports). Only the batch can: nothing else runs in this database.
     */
    private void awaitWaiting(CompletableFuture<Integer> batch) {
        Await.until("the batch waiting for the other node's key", Duration.ofSeconds(30),
                () -> batch.isDone() || testDb.waitingOn(otherNodePid) == 1);
    }

    private static EventRecord sent(UUID id) {
        return TestRecords.clientSent(TENANT, id, "email-" + id);
    }
}
