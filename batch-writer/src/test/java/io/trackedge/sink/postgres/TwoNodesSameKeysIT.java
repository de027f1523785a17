package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.privacy.PrivacyPolicy;
import io.trackedge.sink.JournalClassifier;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.sink.testing.TestEvents;
import io.trackedge.sink.testing.TestRecords;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two edge nodes writing at the same time, each through its own pipeline with two batches in flight,
 * events of the same emails, mailboxes and ingest ids in different orders: what a load balancer
 * makes of one campaign's traffic. Every batch commits at its first try (none is a deadlock's
 * victim), and each shared key is counted once: first opens and clicks, human opens, client ids,
 * warm-up counters, the User-Agent and sender-context dictionaries.
 * With the client ids taken in batch order, every run of this test had a batch fail with
 * "deadlock detected". With only the first touches in batch order it passed three runs of three:
 * the nodes overlap there too seldom for a random test, so {@link KeyOrderAcrossNodesIT} shows each
 * table's case step by step.
 */
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TwoNodesSameKeysIT {

    private static final UUID[] TENANTS = {UUID.fromString("56565656-5656-4565-8565-565656565656"),
        UUID.fromString("67676767-6767-4676-8676-676767676767")};
    private static final UUID USER = TestEvents.USER;
    private static final JournalClassifier.Classified NONE = new JournalClassifier.Classified(null, List.of());
    private static final int EMAILS = 400;
    private static final int MAILBOXES = 30;
    private static final int BATCHES = 25;
    private static final int BATCH = 240;

    @Test
    void bothNodesCommitEveryBatchAtTheFirstTryAndEachKeyOnce() throws Exception {
        List<UUID> clientIds = new ArrayList<>();
        for (int i = 0; i < BATCHES * 20; i++) {
            clientIds.add(UUID.randomUUID());
        }
        List<List<EventRecord>> a = traffic(new Random(1), clientIds);
        List<List<EventRecord>> b = traffic(new Random(2), clientIds);
        try (TestDatabase testDb = TestDatabase.migrated();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 6)) {
            ExecutorService nodes = Executors.newFixedThreadPool(2);
            try {
                Future<?> nodeA = nodes.submit(() -> writeAll(db, a));
                Future<?> nodeB = nodes.submit(() -> writeAll(db, b));
                nodeA.get(150, TimeUnit.SECONDS);
                nodeB.get(150, TimeUnit.SECONDS);
            } finally {
                nodes.shutdownNow(); // a node that failed leaves the other one writing: it ends before the database goes
                nodes.awaitTermination(60, TimeUnit.SECONDS);
            }

            List<EventRecord> all = new ArrayList<>();
            a.forEach(all::addAll);
            b.forEach(all::addAll);
            long sent = all.stream().filter(e -> e.type() == EventType.SENT).count();
            assertEquals(all.size() - sent + clientIds.size(), testDb.count("SELECT count(*) FROM email_events"),
                    "every event once; each client id once, though both nodes took it");
            assertEquals(distinct(all, EventType.OPEN), testDb.count("SELECT count(*) FROM email_opens"));
            assertEquals(distinct(all, EventType.CLICK), testDb.count("SELECT count(*) FROM email_clicks"));
            assertEquals(distinct(all, EventType.OPEN, EventType.CLICK), testDb.count("SELECT count(*) FROM email_human_opens"));
            assertEquals(testDb.count("SELECT count(*) FROM email_opens"), testDb.count("SELECT sum(opens_unique) FROM daily_analytics"));
            assertEquals(testDb.count("SELECT count(*) FROM email_clicks"), testDb.count("SELECT sum(clicks_unique) FROM daily_analytics"));
            assertEquals(all.stream().filter(e -> e.type() == EventType.OPEN).count(), testDb.count("SELECT sum(opens_total) FROM daily_analytics"));
            assertEquals(clientIds.size(), testDb.count("SELECT sum(emails_sent) FROM daily_analytics"));
            assertEquals(all.stream().filter(e -> e.type() == EventType.WARMUP_OPEN).count(),
                    testDb.count("SELECT sum(opens_received) FROM warmup_daily_stats"));
            assertEquals(2L * MAILBOXES, testDb.count("SELECT count(*) FROM warmup_daily_stats"));
            assertEquals(2L * TENANTS.length, testDb.count("SELECT count(*) FROM user_agents"), "two User-Agents, kept per tenant");
        }
    }

    /** Writes one node's batches in order, at most {@link CommitPipeline#DEPTH} in flight, as the sink loop does; a failed batch fails the node. */
    private static Void writeAll(Database db, List<List<EventRecord>> batches) throws Exception {
        try (CommitPipeline pipeline = new CommitPipeline(db, BatchWriter.SINK, "test", UUID.randomUUID(), PrivacyPolicy.keepAll(), refused -> { }, reused -> { }, new MovedTenants())) {
            try (Connection c = db.dataSource().getConnection()) {
                pipeline.cursorWriter().initCursor(c);
            }
            List<CompletableFuture<Integer>> inFlight = new ArrayList<>();
            long position = 0;
            for (List<EventRecord> batch : batches) {
                if (inFlight.size() == CommitPipeline.DEPTH) {
                    inFlight.remove(0).get(60, TimeUnit.SECONDS);
                }
                inFlight.add(pipeline.submit(batch, NONE, position, position + batch.size()));
                position += batch.size();
            }
            for (CompletableFuture<Integer> f : inFlight) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
        return null;
    }

    /** One node's share: opens and clicks of the shared emails and warm-up opens of the shared mailboxes, shuffled, then every client id once, shuffled. */
    private static List<List<EventRecord>> traffic(Random random, List<UUID> clientIds) {
        List<EventRecord> events = new ArrayList<>();
        long now = System.currentTimeMillis() * 1000;
        for (int i = 0; i < BATCHES * BATCH - clientIds.size(); i++) {
            int email = random.nextInt(EMAILS);
            UUID tenant = TENANTS[email % TENANTS.length];
            if (i % 10 == 9) {
                String mailbox = "box-" + random.nextInt(MAILBOXES);
                for (UUID t : TENANTS) {
                    events.add(TestRecords.warmupOpen(t, mailbox));
                }
                i++;
                continue;
            }
            boolean click = random.nextInt(4) == 0;
            events.add(new EventRecord(UUID.randomUUID(), click ? EventType.CLICK : EventType.OPEN, 0, now, null,
                    click ? "Mozilla/5.0 (Macintosh)" : "Mozilla/5.0 (iPhone)",
                    new EventFields(tenant, USER, "camp-" + email % 7, "mbox-" + email % 3, "email-" + email, "lead-" + email,
                            "step-" + email % 2, null), click ? "https://example.com/" + email % 5 : null, Map.of()));
        }
        Collections.shuffle(events, random);
        // The ingest retries come last: a batch that shares a client id with the other node's waits for
        // that batch's commit at its first statement, which would keep the nodes from overlapping
        // anywhere else.
        List<EventRecord> sends = new ArrayList<>();
        for (UUID id : clientIds) {
            sends.add(TestRecords.clientSent(TENANTS[0], id, "sent-" + id));
        }
        Collections.shuffle(sends, random);
        events.addAll(sends);
        List<List<EventRecord>> batches = new ArrayList<>();
        for (int i = 0; i < events.size(); i += BATCH) {
            batches.add(new ArrayList<>(events.subList(i, Math.min(events.size(), i + BATCH))));
        }
        return batches;
    }

    private static long distinct(List<EventRecord> events, EventType... types) {
        Set<String> keys = new HashSet<>();
        for (EventRecord e : events) {
            for (EventType t : types) {
                if (e.type() == t) {
                    keys.add(e.fields().tenant() + "/" + e.fields().email());
                }
            }
        }
        return keys.size();
    }
}
