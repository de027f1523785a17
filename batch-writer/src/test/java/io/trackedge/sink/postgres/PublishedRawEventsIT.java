package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.privacy.Erasure;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The README's way to publish the raw events for logical replication ({@code docs/publish-raw-events.sql})
 * holds: once published, a correction's UPDATE and an erasure's DELETE work on today's partition and
 * on one the partition job makes afterwards (V27), where without the script PostgreSQL refuses them.
 */
class PublishedRawEventsIT {

    private static final Path SCRIPT = Path.of("../docs/publish-raw-events.sql");
    private static final UUID TENANT = UUID.fromString("00000000-0000-4000-8000-000000000001");
    /** The partition job's horizon in this test: further ahead than the migrations made partitions. */
    private static final int DAYS_AHEAD = 60;

    @Test
    void correctionsAndErasureWorkOnPublishedRowsTodayAndOnLaterPartitions() throws Exception {
        try (TestDatabase testDb = TestDatabase.migrated(); Connection c = testDb.connect(); Statement s = c.createStatement()) {
            LocalDate later = LocalDate.now(ZoneOffset.UTC).plusDays(DAYS_AHEAD);
            insert(s, "today", "now()");

            s.execute("CREATE PUBLICATION careless FOR TABLE email_event_rows");
            SQLException refused = assertThrows(SQLException.class, () -> correct(s, "today"));
            assertEquals("55000", refused.getSQLState(), refused.getMessage()); // no replica identity: why the script exists
            s.execute("DROP PUBLICATION careless");

            s.execute(Files.readString(SCRIPT));
            assertEquals(List.of("email_event_rows", "event_contexts"),
                    testDb.rows("SELECT tablename FROM pg_publication_tables WHERE pubname = 'trackedge_raw_events' ORDER BY 1"));

            assertTrue(testDb.count("SELECT email_events_ensure_partitions(0, " + DAYS_AHEAD + ")") > 0, "the job made new partitions");
            assertEquals(List.of(), testDb.rows("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                    + " WHERE i.inhparent = 'email_event_rows'::regclass AND c.relreplident <> 'f'"), "partitions without FULL");
            insert(s, "later", "'" + later + "T12:00:00Z'");

            for (String email : List.of("today", "later")) {
                assertEquals(1, correct(s, email), email);
                assertEquals("{email_events=1}", deleted(c, email), email);
            }
        }
    }

    private static void insert(Statement s, String email, String at) throws SQLException {
        s.execute("INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, campaign_id, mailbox_id, email_id,"
                + " edge_no, is_machine) VALUES (gen_random_uuid(), 'open', " + at + ", '" + TENANT + "',"
                + " '00000000-0000-4000-9000-000000000001', 'campaign', 'mbox@example.com', '" + email + "', 1, false)");
    }

    /** What a correction does to a row: a new verdict, found by tenant and email. */
    private static int correct(Statement s, String email) throws SQLException {
        return s.executeUpdate("UPDATE email_event_rows SET is_machine = true, automation = automation_code('scanner')"
                + " WHERE tenant_id = '" + TENANT + "' AND email_id = '" + email + "'");
    }

    /** The recipient erased through {@link Erasure}; the tables it deleted rows from. */
    private static String deleted(Connection c, String email) throws SQLException {
        var result = Erasure.erase(c, TENANT, email, "test:published");
        return result.deleted().entrySet().stream().filter(e -> e.getValue() > 0).map(e -> e.getKey() + "=" + e.getValue())
                .sorted().toList().toString().replace('[', '{').replace(']', '}');
    }
}
