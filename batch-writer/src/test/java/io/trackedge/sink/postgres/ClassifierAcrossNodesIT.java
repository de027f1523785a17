package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.classify.ClassifierSettings;
import io.trackedge.classify.EmailHistory;
import io.trackedge.classify.ListSource;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.journal.EventType;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.privacy.PrivacyPolicy;
import io.trackedge.sink.JournalClassifier;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkStats;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.Recount;
import io.trackedge.sink.testing.Sinks;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.sink.testing.TestEvents;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two edge nodes behind a load balancer, one database: the mail server's {@code delivered} event
 * reaches node A, a security scanner's click three seconds later reaches node B. B's classifier has
 * never seen the delivery; it asks the database ({@link StoredEmailHistory}) before classifying, so
 * the click is a scanner's ("soon after send" and "click before open"), as it would be had both
 * reached one node. Without asking, B stores it as a person's click.
 */
class ClassifierAcrossNodesIT {

    private static final UUID TENANT = UUID.fromString("44444444-4444-4444-8444-444444444444");

    @TempDir
    Path dir;

    /**
     * Also when node B has seen no send of the tenant (restarted, or its ingest connections never carry
     * the tenant's sends): one email of the tenant is probed, its send found, and the batch's other emails
     * are asked about too. Before, none was, and the scanner's click was stored as a person's.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aClickSecondsAfterADeliveryAnotherNodeTookIsAScanners(boolean nodeBSawASend) throws Exception {
        long now = System.currentTimeMillis() * 1000;
        try (TestDatabase testDb = TestDatabase.create()) {
            Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 4);
            try {
                db.migrate();
                Path journalA = Files.createDirectory(dir.resolve("node-a"));
                Path journalB = Files.createDirectory(dir.resolve("node-b"));
                try (JournalWriter a = JournalWriter.open(journalA, 4L << 20, 1L << 30, new JournalStats())) {
                    TestEvents events = new TestEvents(a);
                    events.append(EventType.DELIVERED, TENANT, "crossed", now - 10_000_000L, null, null);
                    events.append(EventType.DELIVERED, TENANT, "opened-there", now - 10_000_000L, null, null);
                    events.append(EventType.OPEN, TENANT, "opened-there", now - 9_000_000L, "198.51.100.7", TestEvents.FIREFOX);
                    events.append(EventType.DELIVERED, TENANT, "opened-later", now - 10_000_000L, null, null);
                    events.append(EventType.OPEN, TENANT, "opened-later", now - 1_000_000L, "198.51.100.7", TestEvents.FIREFOX);
                    a.flush();
                    drain(db, journalA, a);
                }
                JournalClassifier classifierB;
                try (JournalWriter b = JournalWriter.open(journalB, 4L << 20, 1L << 30, new JournalStats())) {
                    TestEvents events = new TestEvents(b);
                    if (nodeBSawASend) { // the balancer spreads the tenant's sends over every node
                        events.append(EventType.SENT, TENANT, "another", now - 20_000_000L, null, null);
                    }
                    events.append(EventType.CLICK, TENANT, "crossed", now - 7_000_000L, "203.0.113.5", TestEvents.FIREFOX);
                    events.append(EventType.CLICK, TENANT, "never-sent", now - 7_000_000L, "203.0.113.6", TestEvents.FIREFOX);
                    events.append(EventType.CLICK, TENANT, "opened-there", now - 7_000_000L, "203.0.113.7", TestEvents.FIREFOX);
                    events.append(EventType.CLICK, TENANT, "opened-later", now - 7_000_000L, "203.0.113.8", TestEvents.FIREFOX);
                    events.append(EventType.CLICK, TENANT, "opened-later", now, "203.0.113.9", TestEvents.FIREFOX);
                    b.flush();
                    classifierB = drain(db, journalB, b);
                }
                assertEquals(List.of("true scanner certain"), testDb.rows("SELECT is_machine || ' ' || automation || ' ' || certainty "
                        + "FROM email_events WHERE email_id = 'crossed' AND event_type = 'click'"));
                assertEquals(List.of("false"), testDb.rows("SELECT is_machine::text FROM email_events WHERE email_id = 'never-sent'"),
                        "nothing of it anywhere: a person's click, as before");
                assertEquals(List.of("soon_after_send"), testDb.rows("SELECT signal_names(reasons) FROM email_event_rows "
                        + "WHERE email_id = 'opened-there' AND event_type = 'click'"), "opened on node A before: no click before open");
                assertEquals(List.of("soon_after_send,click_before_open"), testDb.rows("SELECT signal_names(reasons) FROM email_event_rows "
                        + "WHERE email_id = 'opened-later' AND event_type = 'click' ORDER BY occurred_at LIMIT 1"),
                        "its open on node A came after the click");
                assertEquals(List.of("true", "false"), testDb.rows("SELECT (coalesce(signal_names(reasons), '') LIKE '%click_before_open%')::text "
                        + "FROM email_event_rows WHERE email_id = 'opened-later' AND event_type = 'click' ORDER BY occurred_at"),
                        "its second click came after that open: not before it");
                assertEquals(3, classifierB.recalled(), "three emails' sends found; the fourth asked about and not found");
                assertEquals(0, classifierB.recallFailures());
                assertEquals(nodeBSawASend ? 11 : 10, testDb.count("SELECT count(*) FROM email_events"), "every event written once");
            } finally {
                db.close();
            }
        }
    }

    /**
     * A scanner follows two links of one email a second apart from two addresses of one /24, and the
     * balancer sends each click to another node. The node that takes the second click asks the
     * database for the email's clicks around it ({@link StoredEmailHistory#clicks}), finds the first
     * node's, and sees the burst whole: its click is stored as a scanner's, and the first node's is
     * corrected in the same transaction, its day's counters moved with it. Also when the node that
     * writes second took the earlier click (it was behind): it looks forward at other nodes' clicks.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aLinkBurstSplitAcrossNodesIsFoundByTheNodeThatWritesSecond(boolean laterClickFirst) throws Exception {
        long now = System.currentTimeMillis() * 1000;
        try (TestDatabase testDb = TestDatabase.migrated();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 4)) {
            JournalClassifier second = oneClickOnEachNode(db, now, StoredEmailHistory.of(db), laterClickFirst);
            assertEquals(List.of("true scanner link_burst", "true scanner link_burst"), testDb.rows("SELECT is_machine || ' '"
                    + " || automation || ' ' || signal_names(reasons) FROM email_events WHERE email_id = 'scanned' ORDER BY occurred_at"),
                    "the first node's click corrected, the second's a burst from the start");
            assertEquals(1, second.clicksRecalled());
            assertEquals(List.of("0 2"), testDb.rows("SELECT clicks_human || ' ' || clicks_machine FROM daily_analytics"));
            List<List<String>> daily = Recount.compare(testDb);
            assertEquals(daily.get(1), daily.get(0), "daily_analytics differs from a recount of the raw rows");
        }
    }

    /**
     * The same burst when the second node's batch is classified before the first node's commit, so
     * neither node sees it (here the second node asks the database about sends only): both clicks
     * are stored as a person's. The re-score ({@code trackedge classify}) reads the email back whole
     * from the database, every node's clicks with it, and finds the burst.
     */
    @Test
    void aLinkBurstNoNodeSawWholeIsFoundByTheRescore() throws Exception {
        long now = System.currentTimeMillis() * 1000;
        try (TestDatabase testDb = TestDatabase.migrated();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 4)) {
            StoredEmailHistory stored = StoredEmailHistory.of(db);
            oneClickOnEachNode(db, now, asked -> stored.recall(asked), false);
            String clicks = "SELECT is_machine || ' ' || coalesce(signal_names(reasons), '-') FROM email_event_rows"
                    + " WHERE email_id = 'scanned' ORDER BY occurred_at";
            assertEquals(List.of("false -", "false -"), testDb.rows(clicks), "each node saw one link");

            try (Connection c = db.dataSource().getConnection()) {
                c.setAutoCommit(false);
                Rescore.Result result = new Rescore(ClassifierSettings.DEFAULTS, ListSource.snapshot())
                        .run(c, Instant.ofEpochSecond(now / 1_000_000 - 3600), Instant.ofEpochSecond(now / 1_000_000 + 1), TENANT);
                c.commit();
                assertEquals(2, result.toMachine());
            }
            assertEquals(List.of("true link_burst", "true link_burst"), testDb.rows(clicks));
        }
    }

    /**
     * A scanner's clicks of two links of one email a second apart, from two addresses of one /24, one
     * written by node 0's sink, then the other by node 1's, each asking {@code history}.
     *
     * @param laterClickFirst node 0 took the later click, node 1 the earlier one
     * @return node 1's classifier
     */
    private JournalClassifier oneClickOnEachNode(Database db, long now, EmailHistory history, boolean laterClickFirst)
            throws Exception {
        String[] links = {"https://a.example/one", "https://a.example/two"};
        JournalClassifier last = null;
        for (int node = 0; node < 2; node++) {
            Path journalDir = Files.createDirectory(dir.resolve("node-" + node));
            long secondsAgo = laterClickFirst ? 1 + node : 2 - node;
            try (JournalWriter journal = JournalWriter.open(journalDir, 4L << 20, 1L << 30, new JournalStats())) {
                new TestEvents(journal).appendClick(TENANT, "scanned", now - secondsAgo * 1_000_000L, "203.0.113." + (10 + node),
                        TestEvents.FIREFOX, links[node]);
                journal.flush();
                last = drain(db, journalDir, journal, history);
            }
        }
        return last;
    }

    private JournalClassifier drain(Database db, Path journalDir, JournalWriter journal) throws InterruptedException {
        return drain(db, journalDir, journal, StoredEmailHistory.of(db)); // as the edge wires it (edge.classify.recall-from-database)
    }

    private JournalClassifier drain(Database db, Path journalDir, JournalWriter journal, EmailHistory history)
            throws InterruptedException {
        JournalClassifier classifier = JournalClassifier.of(ClassifierSettings.DEFAULTS, ListSource.snapshot());
        classifier.recallFrom(history);
        SinkStats stats = new SinkStats();
        SinkLoop loop = new SinkLoop(new PostgresSink(db, UUID.randomUUID(), new PostgresSink.Settings(false, 0), classifier,
                PrivacyPolicy.keepAll()), journalDir, journal::flushedPosition,
                Sinks.settings(100, Duration.ofMillis(2), Duration.ofMillis(500)), stats, p -> { });
        loop.start();
        try {
            Await.until("the sink caught up", Duration.ofSeconds(60), () -> stats.committedPosition.get() == journal.flushedPosition());
        } finally {
            loop.stop(Duration.ofSeconds(5));
        }
        return classifier;
    }
}
