package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventType;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.MutableEvent;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkStats;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.Sinks;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running sink remembers which emails have their first human open, and stages no later human
 * open of them; when a re-score (another process) deletes such a row because the email's only human
 * event turned out a machine's, the sink's next human open of that email must write it again. The
 * re-score moves the epoch under the lock the batches share, so the sink forgets what it knew.
 */
class KnownHumanOpensIT {

    private static final UUID TENANT = UUID.fromString("61111111-1111-4111-8111-111111111111");
    private static final UUID USER = UUID.fromString("6aaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa");
    private static final String CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
            + " Chrome/120.0 Safari/537.36";

    @TempDir
    Path journalDir;

    private final MutableEvent event = new MutableEvent();

    private void open(JournalWriter w, String email, long occurredAtMicros) {
        UUID id = UUID.randomUUID();
        event.reset(EventType.OPEN, id.getMostSignificantBits(), id.getLeastSignificantBits(), occurredAtMicros);
        byte[] block = FieldsCodec.encode(new EventFields(TENANT, USER, "camp", "mbox", email, "lead-" + email, null, null));
        event.fields(block, 0, block.length);
        int n = email.hashCode();
        event.ip(new byte[] {(byte) 100, (byte) (n >> 16), (byte) (n >> 8), (byte) n}, 4); // a reader of its own
        event.userAgent(CHROME);
        assertTrue(w.tryAppend(event));
        w.flush();
    }

    @Test
    void aHumanOpenDeletedByARescoreIsWrittenAgainByTheRunningSinksNextOpen() throws Exception {
        try (TestDatabase testDb = TestDatabase.create();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 2);
             JournalWriter w = JournalWriter.open(journalDir, 4L << 20, 1L << 30, new JournalStats())) {
            db.migrate();
            SinkStats stats = new SinkStats();
            SinkLoop sink = Sinks.postgres(db, journalDir, w::flushedPosition, UUID.randomUUID(), 100, Duration.ofMillis(2),
                    Duration.ofMillis(500), stats);
            sink.start();
            long t = System.currentTimeMillis() * 1000 - 3_600_000_000L;
            open(w, "kept", t);
            open(w, "rescored", t);
            awaitCommitted(stats, w);
            assertEquals(List.of("kept", "rescored"), testDb.rows("SELECT email_id FROM email_human_opens ORDER BY 1"));
            // Known now, so not staged: shown by taking the row away behind the sink's back (no epoch
            // move, as nothing in the product does) and seeing the next open not write it again.
            try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
                s.executeUpdate("DELETE FROM email_human_opens WHERE email_id = 'kept'");
            }
            open(w, "kept", t + 1_000_000);
            awaitCommitted(stats, w);
            assertEquals(List.of("rescored"), testDb.rows("SELECT email_id FROM email_human_opens ORDER BY 1"),
                    "a known email's human open is not staged");
            try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO email_human_opens (" + HumanOpens.COLUMNS + ") SELECT tenant_id, email_id, user_id,"
                        + " campaign_id, mailbox_id, lead_id, step_id, event_id, event_type, occurred_at FROM email_events"
                        + " WHERE email_id = 'kept' ORDER BY occurred_at LIMIT 1");
            }

            // a re-score elsewhere: the rescored email's only open was a bot's
            try (Connection c = db.dataSource().getConnection()) {
                c.setAutoCommit(false);
                try (Statement s = c.createStatement()) {
                    s.executeUpdate("UPDATE email_event_rows SET is_machine = true, automation = automation_code('bot') WHERE email_id = 'rescored'");
                }
                assertEquals(1, HumanOpens.recompute(c, "(SELECT '" + TENANT + "'::uuid AS tenant_id, 'rescored' AS email_id)").size());
                c.commit();
            }
            assertEquals(List.of("kept"), testDb.rows("SELECT email_id FROM email_human_opens ORDER BY 1"));

            open(w, "rescored", t + 2_000_000); // a person this time: the sink must not take it for known
            awaitCommitted(stats, w);
            assertEquals(List.of("kept", "rescored"), testDb.rows("SELECT email_id FROM email_human_opens ORDER BY 1"));
            assertEquals(1, testDb.count("SELECT count(*) FROM email_human_opens h JOIN email_events e ON e.event_id = h.event_id"
                    + " WHERE h.email_id = 'rescored' AND NOT e.is_machine"), "the new open's row");
            assertTrue(sink.stop(Duration.ofSeconds(5)));
        }
    }

    /**
     * A re-score beside a sink that is writing: both take the human opens' lock and then
     * daily_analytics, in that order, so neither deadlocks the other (in the other order, a batch
     * holding the lock and waiting for the table, and a re-score holding the table and waiting for the
     * lock, did: PostgreSQL cancelled the re-score). Every round's re-score changes classifications
     * (stored ones are made wrong first), so it really takes both.
     */
    @Test
    void aRescoreBesideAWritingSinkFinishesAndTheSinkLosesNoBatch() throws Exception {
        try (TestDatabase testDb = TestDatabase.create();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 4);
             JournalWriter w = JournalWriter.open(journalDir, 4L << 20, 1L << 30, new JournalStats())) {
            db.migrate();
            SinkStats stats = new SinkStats();
            SinkLoop sink = Sinks.postgres(db, journalDir, w::flushedPosition, UUID.randomUUID(), 200, Duration.ofMillis(2),
                    Duration.ofMillis(500), stats);
            sink.start();
            long t = System.currentTimeMillis() * 1000 - 3_600_000_000L;
            Rescore rescore = new Rescore(io.trackedge.classify.ClassifierSettings.DEFAULTS,
                    io.trackedge.classify.ListSource.snapshot());
            long changed = 0;
            for (int round = 0; round < 5; round++) {
                if (round > 0) {
                    awaitCommitted(stats, w); // the earlier rounds' events are in: the re-score has work
                }
                for (int i = 0; i < 3000; i++) { // the next batches, written while the re-score runs
                    open(w, "e-" + (round * 1000 + i % 1500), t + round * 60_000_000L + i);
                }
                if (round == 0) {
                    continue;
                }
                try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
                    s.executeUpdate("UPDATE email_event_rows SET is_machine = true, automation = automation_code('bot'),"
                            + " certainty = certainty_code('certain')"
                            + " WHERE event_type = 'open' AND NOT is_machine AND email_id LIKE 'e-%0'");
                }
                try (Connection c = db.dataSource().getConnection()) {
                    c.setAutoCommit(false);
                    Rescore.Result r = rescore.run(c, java.time.Instant.EPOCH, java.time.Instant.now().plusSeconds(60), null);
                    c.commit();
                    changed += r.eventsChanged();
                }
            }
            awaitCommitted(stats, w);
            assertTrue(changed > 0, "the re-scores changed classifications");
            assertEquals(0, stats.failures.get(), "no batch failed (a deadlock would have)");
            assertEquals(5 * 3000, testDb.count("SELECT count(*) FROM email_events"));
            assertTrue(sink.stop(Duration.ofSeconds(5)));
        }
    }

    private static void awaitCommitted(SinkStats stats, JournalWriter w) {
        long end = w.flushedPosition();
        Await.until("the sink to commit the journal", Duration.ofSeconds(30), () -> stats.committedPosition.get() >= end);
    }
}
