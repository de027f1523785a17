package io.trackedge.jobs.rollup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.jobs.Period;
import io.trackedge.jobs.RollUp;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.YearMonth;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * sql/V15 (user_agents dictionary, email_events indexes) on a database holding data: events of
 * three days and three tenants and their first opens and clicks loaded at V14, every roll-up run;
 * then the migration, and every roll-up run again. No event or first touch is lost or changed (each
 * row, its User-Agent read back through the dictionary, is the same text as before), and every
 * roll-up table holds the same rows.
 */
class SlimmerEventsMigrationIT {

    /** The roll-ups of email_events (warmup_daily_stats is made from warmup_interactions, which V15 leaves alone). */
    private static final List<String> ROLL_UP_TABLES = List.of("campaign_analytics", "mailbox_analytics", "lead_analytics",
            "sequence_step_analytics", "warmup_analytics", "billing_analytics", "daily_analytics",
            "stats_hourly", "link_clicks_hourly", "automation_hourly");
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
            migrate(testDb, "14");
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                // Today's roll-up code also writes the table V16 adds, which does not touch the events:
                // made here by V16's own script, so both runs below use the same code.
                s.execute(laterTables());
                s.execute(load(today.minusDays(2)));
                for (String[] t : new String[][] {{"email_opens", "opened_at", "", "", "open"},
                        {"email_clicks", "clicked_at", ", clicked_url", ", url", "click"}}) {
                    s.execute("INSERT INTO " + t[0] + " (tenant_id, email_id, user_id, campaign_id, mailbox_id, lead_id, step_id,"
                            + " event_id, " + t[1] + ", ip_address, user_agent, is_machine" + t[2] + ")"
                            + " SELECT DISTINCT ON (tenant_id, email_id) tenant_id, email_id, user_id, campaign_id, mailbox_id,"
                            + " lead_id, step_id, event_id, occurred_at, ip_address, user_agent, is_machine" + t[3]
                            + " FROM email_events WHERE event_type = '" + t[4] + "' ORDER BY tenant_id, email_id, occurred_at");
                }
            }
            rollUpAll(testDb, today);
            List<String> events = testDb.rows(EVENTS_AT_13);
            List<String> opens = testDb.rows(firstTouches("email_opens", "user_agent", "f.user_agent"));
            List<String> clicks = testDb.rows(firstTouches("email_clicks", "user_agent", "f.user_agent"));
            assertEquals(500, opens.size());
            assertEquals(500, clicks.size());
            Map<String, List<String>> rollUps = snapshot(testDb);
            List<String> recountDrift = RollUpRecount.differences(testDb); // no first touches were loaded: compare, not assume none
            assertEquals(6000, events.size());
            assertTrue(testDb.count("SELECT count(*) FROM email_events WHERE user_agent IS NULL") > 0);
            assertEquals(List.of(), rollUps.entrySet().stream().filter(t -> t.getValue().isEmpty()).map(Map.Entry::getKey).toList(),
                    "roll-up tables left empty by the load");

            migrate(testDb, "15");
            assertEquals(events, testDb.rows(EVENTS_AT_14), "every event, every column, the same");
            assertEquals(opens, testDb.rows(firstTouches("email_opens", "user_agent_id", "u.user_agent")));
            assertEquals(clicks, testDb.rows(firstTouches("email_clicks", "user_agent_id", "u.user_agent")));
            assertEquals(4, testDb.count("SELECT count(DISTINCT user_agent) FROM user_agents"));
            assertEquals(0, testDb.count("SELECT count(*) FROM email_events e WHERE user_agent_id IS NOT NULL"
                    + " AND NOT EXISTS (SELECT 1 FROM user_agents u WHERE u.tenant_id = e.tenant_id AND u.user_agent_id = e.user_agent_id)"),
                    "every id has its text");
            rollUpAll(testDb, today);
            assertEquals(rollUps, snapshot(testDb));
            assertEquals(recountDrift, RollUpRecount.differences(testDb));
        }
    }

    private static String laterTables() throws java.io.IOException {
        try (java.io.InputStream in = SlimmerEventsMigrationIT.class.getResourceAsStream("/db/migration/V16__automation_by_tenant.sql")) {
            assertTrue(in != null, "V16 on the classpath");
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private static void migrate(TestDatabase testDb, String target) {
        Flyway.configure().dataSource(testDb.jdbcUrl(), "postgres", null).locations("classpath:db/migration")
                .target(target).load().migrate();
    }

    /** 2,000 events a day on three days: sends, deliveries, opens (some machine), clicks, bounces, replies, warm-up. */
    private static String load(LocalDate first) {
        return """
                INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, campaign_id, mailbox_id, email_id,
                                          lead_id, step_id, ip_address, user_agent, url, is_machine, machine_reason, attributes,
                                          edge_node, automation, certainty, reasons)
                SELECT gen_random_uuid(), t.type, '%s'::timestamptz + i * interval '43 seconds',
                       ('00000000-0000-4000-8000-' || lpad((e %% 3)::text, 12, '0'))::uuid,
                       ('00000000-0000-4000-9000-' || lpad((e %% 2)::text, 12, '0'))::uuid,
                       CASE WHEN t.warm THEN NULL ELSE 'campaign-' || (e %% 7) END, 'mbox-' || (e %% 5),
                       CASE WHEN t.warm THEN NULL ELSE 'email-' || e END, CASE WHEN t.warm THEN NULL ELSE 'lead-' || (e %% 90) END,
                       CASE WHEN t.warm THEN NULL ELSE 'step-' || (e %% 4) END,
                       CASE WHEN t.touch THEN ('10.0.' || (e %% 250) || '.' || (i %% 250))::inet END,
                       CASE WHEN t.touch THEN (ARRAY[NULL, 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15',
                            'GoogleImageProxy', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0 Safari/537.36',
                            'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17029)'])[i %% 5 + 1] END,
                       CASE WHEN t.type = 'click' THEN 'https://example.com/landing/' || (e %% 3) END,
                       t.machine, CASE WHEN t.machine THEN 'head_request' END,
                       CASE WHEN t.type = 'bounced' THEN jsonb_build_object('bounce_type', CASE WHEN e %% 2 = 0 THEN 'hard' ELSE 'soft' END)
                            WHEN t.warm THEN jsonb_build_object('partner_mailbox', 'peer-' || (i %% 7) || '@warm.example') END,
                       '00000000-0000-4000-a000-000000000001'::uuid,
                       CASE WHEN t.touch THEN CASE WHEN t.machine THEN 'prefetch' ELSE 'none' END END,
                       CASE WHEN t.touch THEN 'certain' END, CASE WHEN t.touch THEN CASE WHEN t.machine THEN 1 ELSE 0 END END
                FROM generate_series(0, 5999) AS i
                CROSS JOIN LATERAL (SELECT i / 12 AS e, (i %% 12)::int AS k) ek
                CROSS JOIN LATERAL (SELECT (ARRAY['sent', 'delivered', 'open', 'open', 'open', 'click', 'click', 'bounced', 'replied',
                        'unsubscribed', 'warmup_open', 'warmup_reply'])[k + 1] AS type, k >= 10 AS warm, k IN (2, 3, 4, 5, 6) AS touch,
                        k IN (2, 5) AS machine) t
                """.formatted(first.atStartOfDay().atOffset(ZoneOffset.UTC));
    }

    private static void rollUpAll(TestDatabase testDb, LocalDate today) throws Exception {
        try (Connection c = testDb.connect()) {
            for (RollUp r : RollUps.all()) {
                for (int d = 2; d >= 0; d--) {
                    LocalDate day = today.minusDays(d);
                    RollUps.runCommitted(c, r, r.jobType().equals("billing_analytics") ? Period.monthOf(YearMonth.from(day))
                            : Period.dayOf(day), null);
                }
            }
        }
    }

    /** Each roll-up table's rows without the times they were written at. */
    private static Map<String, List<String>> snapshot(TestDatabase testDb) throws Exception {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String t : ROLL_UP_TABLES) {
            out.put(t, testDb.rows("SELECT (to_jsonb(t) - 'updated_at' - 'created_at')::text FROM " + t + " t ORDER BY 1"));
        }
        return out;
    }
}
