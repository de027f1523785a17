package io.trackedge.sink.postgres;

import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.db.Database;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.journal.EventType;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkStats;
import io.trackedge.sink.testing.Sinks;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.Recount;
import io.trackedge.sink.testing.SyntheticEvents;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The sink against the machine's PostgreSQL, in a fresh database per test. */
class PostgresSinkIT {

    private TestDatabase testDb;
    private Database db;
    private Path journalDir;
    private JournalWriter writer;

    @BeforeEach
    void setUp() throws Exception {
        testDb = TestDatabase.create();
        db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 4);
        db.migrate();
        journalDir = Files.createTempDirectory("sink-it-");
        writer = JournalWriter.open(journalDir, 4L << 20, 1L << 30, new JournalStats());
    }

    @AfterEach
    void tearDown() throws Exception {
        writer.close();
        db.close();
        testDb.close();
    }

    private SinkLoop sink(UUID node, SinkStats stats, int batch) {
        return Sinks.postgres(db, journalDir, writer::flushedPosition, node, batch, Duration.ofMillis(2), Duration.ofMillis(500), stats);
    }

    private static void awaitCommitted(SinkStats stats, long position) {
        Await.until("the sink to commit up to " + position, Duration.ofSeconds(60), () -> stats.committedPosition.get() >= position);
        assertEquals(position, stats.committedPosition.get(), "committed up to the position, not beyond");
    }

    private int[] append(SyntheticEvents gen, int n) {
        int opens = 0;
        for (int i = 0; i < n; i++) {
            if (gen.append(writer) == EventType.OPEN) {
                opens++;
            }
            if (i % 500 == 499) {
                writer.flush();
            }
        }
        writer.flush();
        return new int[] {opens, n - opens};
    }

    private void assertExactlyOnceAndRecounted(long expected) throws Exception {
        assertEquals(expected, testDb.count("SELECT count(*) FROM email_events"));
        assertEquals(expected, testDb.count("SELECT count(DISTINCT event_id) FROM email_events"));
        assertEquals(testDb.count("SELECT count(DISTINCT (tenant_id, email_id)) FROM email_events WHERE event_type = 'open'"),
                testDb.count("SELECT count(*) FROM email_opens"));
        assertEquals(testDb.count("SELECT count(DISTINCT (tenant_id, email_id)) FROM email_events WHERE event_type = 'click'"),
                testDb.count("SELECT count(*) FROM email_clicks"));
        // each first-touch row points at a real event of its email, and at the earliest-written one
        assertEquals(0, testDb.count("SELECT count(*) FROM email_opens o WHERE NOT EXISTS (SELECT 1 FROM email_events e "
                + "WHERE e.event_id = o.event_id AND e.email_id = o.email_id AND e.event_type = 'open')"));
        assertEquals(testDb.rows(Recount.HUMAN_OPENS_DEFINED), testDb.rows(Recount.HUMAN_OPENS_STORED),
                "email_human_opens: each email's first human open or click");
        List<List<String>> daily = Recount.compare(testDb);
        assertEquals(daily.get(1), daily.get(0), "daily_analytics differs from a recount of the raw rows");
    }

    @Test
    void everyJournaledEventLandsOnceWithFirstTouchesAndDailyCounts() throws Exception {
        UUID node = UUID.randomUUID();
        SinkStats stats = new SinkStats();
        SinkLoop sink = sink(node, stats, 700);
        sink.start();
        append(new SyntheticEvents(1, 3000), 20_000);
        awaitCommitted(stats, writer.flushedPosition());
        assertTrue(sink.stop(Duration.ofSeconds(5)));
        assertExactlyOnceAndRecounted(20_000);
        assertEquals(0, testDb.count("SELECT count(*) FROM email_events_default"), "rows fell into the default partition");
        // the classifier's verdict: HEAD is decisive (with the proxy's User-Agent too); reasons name every signal
        assertTrue(testDb.count("SELECT count(*) FROM email_events WHERE is_machine AND machine_reason LIKE 'head_request%'"
                + " AND automation IN ('prefetch', 'scanner') AND certainty = 'certain' AND reasons & 1 = 1") > 0);
        assertEquals(0, testDb.count("SELECT count(*) FROM email_events WHERE event_type IN ('open', 'click') AND automation IS NULL"));
        assertEquals(20_000, testDb.count("SELECT events FROM sink_cursors WHERE edge_node = '" + node + "'"));
        // each row names its edge by the edge's number (sql/V18)
        assertEquals(20_000, testDb.count("SELECT count(*) FROM email_events JOIN edge_nodes USING (edge_no) WHERE edge_node = '" + node + "'"));
        // each User-Agent is stored once per tenant, under the id SQL's user_agent_id(text) gives (sql/V15)
        assertEquals(6, testDb.count("SELECT count(*) FROM user_agents WHERE user_agent_id = user_agent_id(user_agent)"));
        assertEquals(20_000, testDb.count("SELECT count(*) FROM email_events e JOIN user_agents u"
                + " ON u.tenant_id = e.tenant_id AND u.user_agent_id = e.user_agent_id"));
        assertEquals(testDb.count("SELECT count(*) FROM email_opens"), testDb.count("SELECT count(*) FROM email_opens o JOIN user_agents u"
                + " ON u.tenant_id = o.tenant_id AND u.user_agent_id = o.user_agent_id"));

        // a restarted sink resumes at the committed cursor: nothing twice, new events once
        SinkStats again = new SinkStats();
        SinkLoop restarted = sink(node, again, 700);
        restarted.start();
        append(new SyntheticEvents(2, 3000), 5_000);
        awaitCommitted(again, writer.flushedPosition());
        assertTrue(restarted.stop(Duration.ofSeconds(5)));
        assertExactlyOnceAndRecounted(25_000);
        assertEquals(List.of("1 25000"), testDb.rows("SELECT count(DISTINCT n.edge_no) || ' ' || count(*) FROM email_events e"
                + " JOIN edge_nodes n USING (edge_no) WHERE n.edge_node = '" + node + "'"), "the restarted sink kept its number");
        assertEquals(1, testDb.count("SELECT count(*) FROM edge_nodes"));
    }

    @Test
    void twoSinksOnOneJournalStillWriteEachEventOnce() throws Exception {
        UUID node = UUID.randomUUID();
        SinkStats a = new SinkStats();
        SinkStats b = new SinkStats();
        SinkLoop first = sink(node, a, 300);
        SinkLoop second = sink(node, b, 300);
        first.start();
        second.start();
        append(new SyntheticEvents(3, 1000), 10_000);
        long end = writer.flushedPosition();
        // coalesce: under load the sinks may not have made their cursor row yet
        Await.until("the shared cursor to reach the journal's end", Duration.ofSeconds(60),
                () -> testDb.count("SELECT coalesce(max(position), 0) FROM sink_cursors WHERE edge_node = '" + node + "'"),
                position -> position >= end);
        first.stop(Duration.ofSeconds(5));
        second.stop(Duration.ofSeconds(5));
        assertExactlyOnceAndRecounted(10_000);
    }

    @Test
    void theReadRoleSeesOnlyTheTenantOfItsSession() throws Exception {
        SinkStats stats = new SinkStats();
        SinkLoop sink = sink(UUID.randomUUID(), stats, 1000);
        sink.start();
        append(new SyntheticEvents(4, 300), 3_000);
        awaitCommitted(stats, writer.flushedPosition());
        sink.stop(Duration.ofSeconds(5));
        String tenant = "11111111-1111-4111-8111-111111111111";
        long own = testDb.count("SELECT count(*) FROM email_events WHERE tenant_id = '" + tenant + "'");
        try (var c = testDb.connect(); var s = c.createStatement()) {
            s.execute("SET ROLE trackedge_reader");
            try (var r = s.executeQuery("SELECT count(*) FROM email_events")) {
                r.next();
                assertEquals(0, r.getLong(1), "no tenant set: nothing visible");
            }
            s.execute("SET app.tenant_id = '" + tenant + "'");
            try (var r = s.executeQuery("SELECT count(*), count(DISTINCT tenant_id) FROM email_events")) {
                r.next();
                assertEquals(own, r.getLong(1));
                assertEquals(1, r.getLong(2));
            }
            try (var r = s.executeQuery("SELECT count(DISTINCT tenant_id) FROM daily_analytics")) {
                r.next();
                assertEquals(1, r.getLong(1));
            }
        }
    }

    @Test
    void retentionDropsOldPartitionsAndKeepsRecentOnes() throws Exception {
        try (var c = testDb.connect(); var s = c.createStatement()) {
            s.execute("CREATE TABLE email_events_20200101 PARTITION OF email_event_rows "
                    + "FOR VALUES FROM ('2020-01-01 00:00+00') TO ('2020-01-02 00:00+00')");
        }
        new PartitionMaintainer(db, 30).run();
        assertEquals(0, testDb.count("SELECT count(*) FROM pg_class WHERE relname = 'email_events_20200101'"));
        String today = java.time.LocalDate.now(java.time.ZoneOffset.UTC).plusDays(7).toString().replace("-", "");
        assertEquals(1, testDb.count("SELECT count(*) FROM pg_class WHERE relname = 'email_events_" + today + "'"));
    }
}
