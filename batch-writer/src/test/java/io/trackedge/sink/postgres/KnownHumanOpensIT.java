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
        event.ip(new byte[] {(byte) 203, 0, 113, 9}, 4);
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
            open(w, "kept", t + 1_000_000); // known now: not staged, nothing changes
            awaitCommitted(stats, w);

            // a re-score elsewhere: the rescored email's only open was a bot's
            try (Connection c = db.dataSource().getConnection()) {
                c.setAutoCommit(false);
                try (Statement s = c.createStatement()) {
                    s.executeUpdate("UPDATE email_events SET is_machine = true, automation = 'bot' WHERE email_id = 'rescored'");
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

    private static void awaitCommitted(SinkStats stats, JournalWriter w) {
        long end = w.flushedPosition();
        Await.until("the sink to commit the journal", Duration.ofSeconds(30), () -> stats.committedPosition.get() >= end);
    }
}
