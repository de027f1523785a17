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
 * sql/V15 (user_agents dictionary, email_events indexes) on a database holding data: events of
 * three days and three tenants and their first opens and clicks loaded at V14, every roll-up run;
 * then the migration, and every roll-up run again. No event or first touch is lost or changed (each
 * row, its User-Agent read back through the dictionary, is the same text as before), and every
 * roll-up table holds the same rows.
 */
class SlimmerEventsMigrationIT {

    /** Every column of every event, the User-Agent as text whichever way it is stored. */
    private static final String EVENTS_AT_13 = "SELECT (to_jsonb(e) - 'user_agent')::text || ' ua=' || coalesce(e.user_agent, '-')"
            + " FROM email_events e ORDER BY e.tenant_id, e.event_id";
    private static final String EVENTS_AT_14 = "SELECT (to_jsonb(e) - 'user_agent_id')::text || ' ua=' || coalesce(u.user_agent, '-')"
            + " FROM email_events e LEFT JOIN user_agents u ON u.tenant_id = e.tenant_id AND u.user_agent_id = e.user_agent_id"
            + " ORDER BY e.tenant_id, e.event_id";

    /** The first touches as the sink leaves them, the User-Agent as text whichever way it is stored. */
    private static String firstTouches(String table, String uaColumn, String uaText) {
        return "SELECT (to_jsonb(f) - '" + uaColumn + "' - 'created_at')::text || ' ua=' || coalesce(" + uaText + ", '-') FROM "
                + table + " f" + (uaText.startsWith("u.") ? " LEFT JOIN user_agents u ON u.tenant_id = f.tenant_id"
                + " AND u.user_agent_id = f.user_agent_id" : "") + " ORDER BY f.tenant_id, f.email_id";
    }

    @Test
    void noEventLostAndEveryRollUpUnchanged() throws Exception {
        try (TestDatabase testDb = TestDatabase.create()) {
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            MigrationCheck.migrate(testDb, "14");
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                // Today's roll-up code also writes the table V16 adds, which does not touch the events:
                // made here by V16's own script, so that the hourly roll-ups can run at V14.
                s.execute(MigrationCheck.script("V16__automation_by_tenant.sql"));
                s.execute(MigrationCheck.load(today.minusDays(2), "user_agent", "%s", "edge_node",
                        "'00000000-0000-4000-a000-000000000001'::uuid"));
                for (String[] t : new String[][] {{"email_opens", "opened_at", "", "", "open"},
                        {"email_clicks", "clicked_at", ", clicked_url", ", url", "click"}}) {
                    s.execute("INSERT INTO " + t[0] + " (tenant_id, email_id, user_id, campaign_id, mailbox_id, lead_id, step_id,"
                            + " event_id, " + t[1] + ", ip_address, user_agent, is_machine" + t[2] + ")"
                            + " SELECT DISTINCT ON (tenant_id, email_id) tenant_id, email_id, user_id, campaign_id, mailbox_id,"
                            + " lead_id, step_id, event_id, occurred_at, ip_address, user_agent, is_machine" + t[3]
                            + " FROM email_events WHERE event_type = '" + t[4] + "' ORDER BY tenant_id, email_id, occurred_at");
                }
            }
            List<String> events = testDb.rows(EVENTS_AT_13);
            List<String> opens = testDb.rows(firstTouches("email_opens", "user_agent", "f.user_agent"));
            List<String> clicks = testDb.rows(firstTouches("email_clicks", "user_agent", "f.user_agent"));
            assertEquals(500, opens.size());
            assertEquals(500, clicks.size());
            Map<String, List<String>> rollUps = MigrationCheck.expectedRollUps(testDb);
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute("DROP TABLE automation_hourly_tenant"); // V16 makes it again on the way to the newest schema
            }
            assertEquals(6000, events.size());
            assertTrue(testDb.count("SELECT count(*) FROM email_events WHERE user_agent IS NULL") > 0);
            assertEquals(List.of(), rollUps.entrySet().stream().filter(t -> t.getValue().isEmpty()).map(Map.Entry::getKey).toList(),
                    "roll-up tables left empty by the load");

            MigrationCheck.migrate(testDb, "15");
            assertEquals(events, testDb.rows(EVENTS_AT_14), "every event, every column, the same");
            assertEquals(opens, testDb.rows(firstTouches("email_opens", "user_agent_id", "u.user_agent")));
            assertEquals(clicks, testDb.rows(firstTouches("email_clicks", "user_agent_id", "u.user_agent")));
            assertEquals(4, testDb.count("SELECT count(DISTINCT user_agent) FROM user_agents"));
            assertEquals(0, testDb.count("SELECT count(*) FROM email_events e WHERE user_agent_id IS NOT NULL"
                    + " AND NOT EXISTS (SELECT 1 FROM user_agents u WHERE u.tenant_id = e.tenant_id AND u.user_agent_id = e.user_agent_id)"),
                    "every id has its text");
            assertEquals(List.of(), MigrationCheck.differences(rollUps, MigrationCheck.rolledUpAtNewest(testDb)));
        }
    }
}
