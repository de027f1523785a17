package io.trackedge.jobs.rollup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * sql/V24 (the senders' ids compare by bytes) on a database holding data: events of three days and
 * three tenants loaded at V23, every roll-up run; then the migration. Every id column of every table,
 * partitions included, has the "C" collation, no table was written again (same files), every event
 * is there as before, the id columns have statistics again, a lookup by email still searches its
 * index by the email, and every
 * roll-up holds the same rows after running them all again. And at the newest version, every id
 * column of every table compares by bytes: a later migration's new table must declare it so too.
 */
class IdCollationMigrationIT {

    private static final String ID_COLUMNS = "SELECT c.relname || '.' || a.attname || ' ' || co.collname FROM pg_attribute a"
            + " JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " JOIN pg_collation co ON co.oid = a.attcollation"
            + " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT a.attisdropped"
            + " AND a.attname IN ('email_id', 'campaign_id', 'mailbox_id', 'lead_id', 'step_id') ORDER BY 1";
    private static final String EVENTS = "SELECT to_jsonb(e)::text FROM email_events e ORDER BY e.tenant_id, e.event_id";
    /** The loaded table's id columns that have statistics (the migration drops them; it must gather them again). */
    private static final String STATISTICS = "SELECT tablename || '.' || attname || ' ' || inherited FROM pg_stats"
            + " WHERE schemaname = current_schema() AND tablename = 'email_events'"
            + " AND attname IN ('email_id', 'campaign_id', 'mailbox_id', 'lead_id', 'step_id') ORDER BY 1";
    private static final String FILES = "SELECT c.relname || ' ' || c.relfilenode FROM pg_class c"
            + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY 1";

    @Test
    void everyIdColumnComparesByBytesAndNothingElseChanges() throws Exception {
        try (TestDatabase testDb = TestDatabase.create()) {
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            MigrationCheck.migrate(testDb, "23");
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute(MigrationCheck.load(today.minusDays(2), "user_agent_id", "user_agent_id(%s)", "edge_no", "1"));
                // each email's first open, as the sink keeps it: a first-touch table with rows to look up
                s.execute("INSERT INTO email_opens (tenant_id, email_id, user_id, campaign_id, mailbox_id, lead_id, step_id, event_id,"
                        + " opened_at, ip_address, user_agent_id, is_machine) SELECT DISTINCT ON (tenant_id, email_id) tenant_id, email_id,"
                        + " user_id, campaign_id, mailbox_id, lead_id, step_id, event_id, occurred_at, ip_address, user_agent_id, is_machine"
                        + " FROM email_events WHERE event_type = 'open' ORDER BY tenant_id, email_id, occurred_at");
            }
            List<String> events = testDb.rows(EVENTS);
            List<String> files = testDb.rows(FILES);
            Map<String, List<String>> rollUps = MigrationCheck.expectedRollUps(testDb);
            List<String> before = testDb.rows(ID_COLUMNS);
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute("ANALYZE");
            }
            List<String> statistics = testDb.rows(STATISTICS);
            assertEquals(6000, events.size());
            assertTrue(before.stream().noneMatch(col -> col.endsWith(" C")), "no id column compared by bytes before: " + before);
            assertEquals(List.of(), rollUps.entrySet().stream().filter(t -> t.getValue().isEmpty()).map(Map.Entry::getKey).toList(),
                    "roll-up tables left empty by the load");

            MigrationCheck.migrate(testDb, "24");
            List<String> after = testDb.rows(ID_COLUMNS);
            assertEquals(before.size(), after.size());
            assertTrue(after.containsAll(List.of("email_events.email_id C", "email_opens.email_id C", "daily_analytics.campaign_id C",
                    "stats_hourly.step_id C", "lead_analytics.lead_id C")), "tables' columns listed: " + after);
            assertTrue(after.stream().filter(col -> col.startsWith("email_events_2")).count() >= 5 * 3,
                    "the partitions' columns are listed too: " + after);
            assertTrue(statistics.size() >= 5, "statistics to compare: " + statistics);
            assertEquals(List.of(), after.stream().filter(col -> !col.endsWith(" C")).toList(), "id columns not compared by bytes");
            assertEquals(files, testDb.rows(FILES), "no table was written again");
            assertEquals(events, testDb.rows(EVENTS), "every event, every column, the same");
            assertEquals(statistics, testDb.rows(STATISTICS), "the id columns' statistics, gathered again");
            String byEmail = MigrationCheck.plan(testDb, "SELECT * FROM email_events WHERE tenant_id = '00000000-0000-4000-8000-000000000001'"
                    + " AND email_id = 'email-7'");
            assertTrue(byEmail.contains("tenant_id_email_id_idx") && byEmail.matches("(?s).*Index Cond: .*email_id = .*"),
                    "a lookup by email searches its index by the email: " + byEmail);
            String firstOpen = MigrationCheck.plan(testDb, "SELECT * FROM email_opens WHERE tenant_id = '00000000-0000-4000-8000-000000000001'"
                    + " AND email_id = 'email-7'");
            assertTrue(firstOpen.contains("email_opens_pkey") && firstOpen.matches("(?s).*Index Cond: .*email_id = .*"),
                    "a first open is found by its key: " + firstOpen);

            assertEquals(List.of(), MigrationCheck.differences(rollUps, MigrationCheck.rolledUpAtNewest(testDb)));
        }
    }

    @Test
    void everyIdColumnAtTheNewestVersionComparesByBytes() throws Exception {
        try (TestDatabase testDb = TestDatabase.create()) {
            MigrationCheck.migrate(testDb, "latest");
            List<String> columns = testDb.rows(ID_COLUMNS);
            assertTrue(columns.containsAll(List.of("email_event_rows.email_id C", "event_contexts.campaign_id C", "email_human_opens.email_id C")), "id columns found: " + columns);
            assertEquals(List.of(), columns.stream().filter(col -> !col.endsWith(" C")).toList(), "id columns not compared by bytes");
        }
    }
}
