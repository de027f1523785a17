package io.trackedge.jobs.rollup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * sql/V26 (sender contexts and one-byte codes, email_events a view) on a database holding data: events
 * of three days and three tenants loaded at V25, plus rows whose campaigns differ only by NULL against
 * the empty string, a separator inside a value and non-ASCII text, and machine reasons the edge set without
 * a classification; every roll-up run; then the migration. Every event reads back through the view exactly
 * as before, each distinct sender side is stored once, a machine reason only where the reasons bitmask
 * does not give it, rows are smaller, a lookup by email still uses the email index and joins no context
 * when it reads none, the reader role sees its own tenant's rows only, an INSERT through the view
 * lands and an unknown event type is refused, and every roll-up holds the same rows after running them again.
 */
class EventContextsMigrationIT {

    private static final String EVENTS = "SELECT to_jsonb(e)::text FROM email_events e ORDER BY e.tenant_id, e.event_id";
    private static final String TENANT = "00000000-0000-4000-8000-000000000001";
    private static final String ODD_SENDERS = """
            INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, campaign_id, mailbox_id, email_id,
                                      edge_no, is_machine, machine_reason)
            SELECT gen_random_uuid(), 'sent', '%s'::timestamptz + i * interval '1 minute',
                   '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-9000-000000000000',
                   (ARRAY[NULL, '', 'a|1:b', 'Kampagne \u00fc']::text[])[i %% 4 + 1], (ARRAY['a', '1:b|']::text[])[i %% 2 + 1],
                   'odd-' || i, 1, false, CASE WHEN i < 4 THEN 'machine_user_agent' END
            FROM generate_series(0, 15) AS i
            """;

    @Test
    void everyEventReadsBackTheSameFromSmallerRows() throws Exception {
        try (TestDatabase testDb = TestDatabase.create()) {
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            MigrationCheck.migrate(testDb, "25");
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute(MigrationCheck.load(today.minusDays(2), "user_agent_id", "user_agent_id(%s)", "edge_no", "1"));
                s.execute(ODD_SENDERS.formatted(today.atStartOfDay().atOffset(ZoneOffset.UTC)));
            }
            List<String> events = testDb.rows(EVENTS);
            Map<String, List<String>> rollUps = MigrationCheck.expectedRollUps(testDb);
            assertEquals(6016, events.size());
            assertEquals(List.of(), rollUps.entrySet().stream().filter(t -> t.getValue().isEmpty()).map(Map.Entry::getKey).toList(),
                    "roll-up tables left empty by the load");
            long senders = testDb.count("SELECT count(*) FROM (SELECT DISTINCT tenant_id, user_id, campaign_id, mailbox_id, step_id"
                    + " FROM email_events) s");
            long rowBytes = testDb.count("SELECT sum(pg_column_size(e.*)) FROM email_events e");

            MigrationCheck.migrate(testDb, "26");
            assertEquals(events, testDb.rows(EVENTS), "every event, every column, the same through the view");
            assertEquals(List.of("v"), testDb.rows("SELECT relkind::text FROM pg_class WHERE relname = 'email_events'"));
            assertEquals(senders, testDb.count("SELECT count(*) FROM event_contexts"), "each sender side stored once");
            assertEquals(0, testDb.count("SELECT count(*) FROM email_event_rows e WHERE NOT EXISTS (SELECT FROM event_contexts c"
                    + " WHERE c.tenant_id = e.tenant_id AND c.context_id = e.context_id)"), "rows without their context");
            assertEquals(4, testDb.count("SELECT count(*) FROM email_event_rows WHERE machine_reason IS NOT NULL"),
                    "a machine_reason is stored only where the reasons do not name it (the edge's own flags)");
            long newBytes = testDb.count("SELECT sum(pg_column_size(e.*)) FROM email_event_rows e");
            assertTrue(newBytes < rowBytes, "rows shrink: " + rowBytes + " bytes before, " + newBytes + " after");

            String byEmail = MigrationCheck.plan(testDb, "SELECT event_id, event_type FROM email_events WHERE tenant_id = '" + TENANT
                    + "' AND email_id = 'email-7'");
            assertTrue(byEmail.contains("tenant_id_email_id_idx") && byEmail.matches("(?s).*Index Cond: .*email_id = .*"),
                    "a lookup by email searches its index by the email: " + byEmail);
            assertFalse(byEmail.contains("event_contexts"), "no context read, no join: " + byEmail);

            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute("SET ROLE trackedge_reader");
                s.execute("SET app.tenant_id = '" + TENANT + "'");
                try (var r = s.executeQuery("SELECT count(*), count(DISTINCT tenant_id), count(campaign_id) FROM email_events")) {
                    r.next();
                    assertEquals(testDb.count("SELECT count(*) FROM email_event_rows WHERE tenant_id = '" + TENANT + "'"), r.getLong(1));
                    assertEquals(1, r.getLong(2), "the reader sees its own tenant only");
                    assertTrue(r.getLong(3) > 0, "and that tenant's contexts");
                }
            }

            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, campaign_id, email_id, edge_no,"
                        + " automation, certainty, is_machine) VALUES ('00000000-0000-7000-8000-0000000000aa', 'click', now(), '" + TENANT
                        + "', '00000000-0000-4000-9000-000000000007', 'new-campaign', 'by-hand', 1, 'scanner', 'probable', true)");
                SQLException refused = assertThrows(SQLException.class, () -> s.execute("INSERT INTO email_events (event_id,"
                        + " event_type, occurred_at, tenant_id, user_id, edge_no) VALUES (gen_random_uuid(), 'opened', now(), '" + TENANT
                        + "', gen_random_uuid(), 1)"));
                assertEquals("22P02", refused.getSQLState(), refused.getMessage()); // not a label of email_event_type
            }
            assertEquals(List.of("click new-campaign scanner probable t"), testDb.rows("SELECT concat_ws(' ', event_type, campaign_id,"
                    + " automation, certainty, is_machine) FROM email_events WHERE event_id = '00000000-0000-7000-8000-0000000000aa'"));

            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute("DELETE FROM email_event_rows WHERE email_id = 'by-hand'");
            }
            assertEquals(List.of(), MigrationCheck.differences(rollUps, MigrationCheck.rolledUpAtNewest(testDb)));
        }
    }
}
