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
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.Recount;
import io.trackedge.sink.testing.Scripted;
import io.trackedge.sink.testing.Sinks;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.Statement;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Opens and clicks through the real Postgres sink come out classified: each row with its automation,
 * certainty and reasons; a link burst completed in a later batch corrects the earlier click and moves
 * its day's counters in the same transaction; a human click on an email whose only open was Apple's
 * prefetch is that email's unique human open. Every count equals a recount of the raw rows.
 */
class ClassifiedSinkIT {

    private static final long SECOND = 1_000_000L;

    private TestDatabase testDb;
    private Database db;
    private Path journalDir;
    private JournalWriter writer;

    @BeforeEach
    void setUp() throws Exception {
        testDb = TestDatabase.create();
        db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 4);
        db.migrate();
        journalDir = Files.createTempDirectory("classified-sink-it-");
        writer = JournalWriter.open(journalDir, 4L << 20, 1L << 30, new JournalStats());
    }

    @AfterEach
    void tearDown() throws Exception {
        writer.close();
        db.close();
        testDb.close();
    }

    private String automation(UUID id) throws Exception {
        return testDb.rows("SELECT automation || '/' || certainty || '/' || is_machine FROM email_events WHERE event_id = '"
                + id + "'").get(0);
    }

    private SinkLoop startSink(SinkStats stats) {
        return startSink(new PostgresSink(db, UUID.randomUUID(), new PostgresSink.Settings(false, 0)), stats);
    }

    private SinkLoop startSink(PostgresSink pg, SinkStats stats) {
        SinkLoop sink = new SinkLoop(pg, journalDir, writer::flushedPosition,
                Sinks.settings(500, Duration.ofMillis(2), Duration.ofMillis(500)), stats, p -> { });
        sink.start();
        return sink;
    }

    /** The send of e-burst and its first click, committed: a person's click, until a second link's (below). */
    private UUID firstBurstClickCommitted(Scripted s, long t, SinkStats stats) throws Exception {
        s.append(EventType.SENT, "e-burst", t, null, null, null, 0);
        UUID first = s.append(EventType.CLICK, "e-burst", t + 300 * SECOND, Scripted.ip(203, 0, 113, 4), Scripted.FIREFOX,
                "https://shop.example/1", 0);
        Await.until("the first click committed", Duration.ofSeconds(30), () -> stats.committedPosition.get() >= writer.flushedPosition());
        return first;
    }

    @Test
    void opensAndClicksAreStoredClassifiedAndABurstCorrectsTheEarlierClickAndItsCounters() throws Exception {
        SinkStats stats = new SinkStats();
        SinkLoop sink = startSink(stats);
        Scripted s = new Scripted(writer, Scripted.TENANT);
        long t = Scripted.startInOneUtcDay(Duration.ofMinutes(20), Duration.ofSeconds(401)); // one daily_analytics row

        s.append(EventType.SENT, "e-mpp", t, null, null, null, 0);
        UUID prefetch = s.append(EventType.OPEN, "e-mpp", t + 2 * SECOND, Scripted.APPLE_RELAY, Scripted.APPLE_MAIL, null, 0);
        UUID humanClick = s.append(EventType.CLICK, "e-mpp", t + 120 * SECOND, Scripted.ip(198, 51, 100, 7), Scripted.FIREFOX,
                "https://shop.example/a", 0);
        s.append(EventType.SENT, "e-burst", t, null, null, null, 0);
        UUID first = s.append(EventType.CLICK, "e-burst", t + 300 * SECOND, Scripted.ip(203, 0, 113, 4), Scripted.FIREFOX,
                "https://shop.example/1", 0);
        UUID human = s.append(EventType.OPEN, "e-human", t + 400 * SECOND, Scripted.ip(198, 51, 100, 20), Scripted.FIREFOX, null, 0);
        Await.until("the sink to write the first events", Duration.ofSeconds(30),
                () -> stats.committedPosition.get() >= writer.flushedPosition());

        assertEquals("prefetch/certain/true", automation(prefetch));
        assertEquals("none/certain/false", automation(humanClick));
        assertEquals("none/probable/false", automation(first), "one click alone is a person's (click before open noted), until the burst");
        assertEquals(List.of("e-burst/click", "e-human/open", "e-mpp/click"),
                testDb.rows("SELECT email_id || '/' || event_type FROM email_human_opens ORDER BY 1"));
        assertEquals(List.of("2"), testDb.rows("SELECT clicks_human FROM daily_analytics WHERE clicks_total = 2"),
                "both human clicks (e-mpp and e-burst) on the one key");

        // The second link from the same /24 half a second later, in a batch of its own: a scanner, and the first click too.
        UUID second = s.append(EventType.CLICK, "e-burst", t + 300 * SECOND + SECOND / 2, Scripted.ip(203, 0, 113, 9),
                Scripted.FIREFOX, "https://shop.example/2", 0);
        Await.until("the sink to write the burst's second click", Duration.ofSeconds(30),
                () -> stats.committedPosition.get() >= writer.flushedPosition());
        assertTrue(sink.stop(Duration.ofSeconds(5)));

        assertEquals("scanner/certain/true", automation(second));
        assertEquals("scanner/certain/true", automation(first), "corrected retroactively");
        assertEquals(List.of("link_burst,click_before_open"), testDb.rows("SELECT machine_reason FROM email_events WHERE event_id = '" + first + "'"));
        assertEquals(List.of("t"), testDb.rows("SELECT is_machine FROM email_clicks WHERE email_id = 'e-burst'"),
                "the first click of the email is the corrected one");
        assertEquals(List.of("e-human/open", "e-mpp/click"),
                testDb.rows("SELECT email_id || '/' || event_type FROM email_human_opens ORDER BY 1"),
                "e-burst has no human open or click left");
        assertEquals(List.of("1/2/2"), testDb.rows("SELECT clicks_human || '/' || clicks_machine || '/' || opens_unique_human"
                + " FROM daily_analytics"));
        assertEquals(testDb.rows(Recount.HUMAN_OPENS_DEFINED), testDb.rows(Recount.HUMAN_OPENS_STORED));
        List<List<String>> daily = Recount.compare(testDb);
        assertEquals(daily.get(1), daily.get(0), "daily_analytics differs from a recount of the raw rows");
        assertEquals(1, testDb.count("SELECT count(*) FROM email_events WHERE event_id = '" + human + "' AND NOT is_machine"));
    }

    /**
     * A move of the tenant into this cluster holds {@link TenantRewrites}' lock alone (here, a
     * connection standing in for it): the batch that corrects the tenant's earlier click waits for it
     * before writing anything, and writes the correction once the move has ended.
     */
    @Test
    void aBatchCorrectingATenantWaitsWhileAMoveOfItHoldsTheCluster() throws Exception {
        SinkStats stats = new SinkStats();
        SinkLoop sink = startSink(stats);
        Scripted s = new Scripted(writer, Scripted.TENANT);
        long t = System.currentTimeMillis() * 1000 - 20 * 60 * SECOND;
        UUID first = firstBurstClickCommitted(s, t, stats);

        try (Connection move = testDb.connect()) {
            move.setAutoCommit(false);
            TenantRewrites.holdForMove(move, Scripted.TENANT);
            int movePid = TestDatabase.backendPid(move);
            s.append(EventType.CLICK, "e-burst", t + 300 * SECOND + SECOND / 2, Scripted.ip(203, 0, 113, 9), Scripted.FIREFOX,
                    "https://shop.example/2", 0);
            Await.until("the correcting batch waiting for the move", Duration.ofSeconds(30), () -> testDb.waitingOn(movePid) == 1);
            assertEquals("none/probable/false", automation(first), "not corrected while the move holds the tenant");
            move.commit();
        }
        Await.until("the correcting batch committed", Duration.ofSeconds(30),
                () -> stats.committedPosition.get() >= writer.flushedPosition());
        assertTrue(sink.stop(Duration.ofSeconds(5)));

        assertEquals("scanner/certain/true", automation(first), "corrected once the move let go");
        assertEquals(2, testDb.count("SELECT count(*) FROM email_events WHERE event_type = 'click'"));
        List<List<String>> daily = Recount.compare(testDb);
        assertEquals(daily.get(1), daily.get(0), "daily_analytics differs from a recount of the raw rows");
    }

    /**
     * A correction the database refuses for its data (a trigger here, standing for a constraint an
     * operator added; on the events, or on the first clicks once the day's counters have moved) rides on
     * every batch until one commits, so it would refuse each of them, with no
     * event of theirs at fault. The batch is written without it: the burst's second click and the events
     * after it land, none is set aside, the earlier click keeps its first verdict, and the refusal is
     * counted. Before this, every event after it was set aside as refused, one by one: a batch of one
     * carried the correction too, and no batch could commit it.
     */
    @ParameterizedTest(name = "refused by {0}")
    @ValueSource(strings = {"email_event_rows", "email_clicks"}) // the correction's first statement, and one after its counter moves
    void aCorrectionTheDatabaseRefusesIsDroppedAndTheEventsAfterItLand(String table) throws Exception {
        SinkStats stats = new SinkStats();
        PostgresSink pg = new PostgresSink(db, UUID.randomUUID(), new PostgresSink.Settings(false, 0));
        SinkLoop sink = startSink(pg, stats);
        Scripted s = new Scripted(writer, Scripted.TENANT);
        long t = System.currentTimeMillis() * 1000 - 20 * 60 * SECOND;
        UUID first = firstBurstClickCommitted(s, t, stats);

        try (Connection c = testDb.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE FUNCTION refuse_updates() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                    + " RAISE EXCEPTION 'rows are never updated here' USING ERRCODE = 'check_violation'; END $$");
            st.execute("CREATE TRIGGER refuse_updates BEFORE UPDATE ON " + table + " FOR EACH ROW EXECUTE FUNCTION refuse_updates()");
        }
        UUID second = s.append(EventType.CLICK, "e-burst", t + 300 * SECOND + SECOND / 2, Scripted.ip(203, 0, 113, 9),
                Scripted.FIREFOX, "https://shop.example/2", 0);
        Await.until("the correcting batch committed", Duration.ofSeconds(30),
                () -> stats.committedPosition.get() >= writer.flushedPosition());
        UUID later = s.append(EventType.OPEN, "e-human", t + 400 * SECOND, Scripted.ip(198, 51, 100, 20), Scripted.FIREFOX, null, 0);
        Await.until("the batch after it committed", Duration.ofSeconds(30),
                () -> stats.committedPosition.get() >= writer.flushedPosition());
        assertTrue(sink.stop(Duration.ofSeconds(5)));

        assertEquals(0, stats.badEvents.get(), "no event is at fault");
        assertEquals(1, pg.classifier().correctionsRefused(), "the one correction of the first click, refused once");
        assertEquals(0, pg.classifier().pendingCorrections(), "dropped, not carried on to later batches");
        assertEquals("scanner/certain/true", automation(second));
        assertEquals("none/probable/false", automation(first), "the refused correction changed nothing");
        assertEquals("none/certain/false", automation(later));
        List<List<String>> daily = Recount.compare(testDb);
        assertEquals(daily.get(1), daily.get(0), "daily_analytics differs from a recount of the raw rows");
        assertEquals(testDb.rows(Recount.HUMAN_OPENS_DEFINED), testDb.rows(Recount.HUMAN_OPENS_STORED));
    }
}
