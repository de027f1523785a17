package io.trackedge.jobs.rollup;

import io.trackedge.jobs.Period;
import io.trackedge.jobs.RollUp;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;

/**
 * What the migration tests of {@code email_events} share: migrating a test database to a version,
 * loading events with plain SQL at an older schema, running every roll-up over them, and the roll-up
 * tables' rows to compare before and after.
 */
final class MigrationCheck {

    /** The roll-ups of email_events (warmup_daily_stats is made from warmup_interactions, which no events migration touches). */
    static final List<String> ROLL_UP_TABLES = List.of("campaign_analytics", "mailbox_analytics", "lead_analytics",
            "sequence_step_analytics", "warmup_analytics", "billing_analytics", "daily_analytics",
            "stats_hourly", "link_clicks_hourly", "automation_hourly");
    /** The User-Agents of the loaded opens and clicks, and one NULL. */
    static final String USER_AGENTS = "ARRAY[NULL, 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15',"
            + " 'GoogleImageProxy', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0 Safari/537.36',"
            + " 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17029)']";

    private MigrationCheck() {
    }

    static void migrate(TestDatabase testDb, String target) {
        Flyway.configure().dataSource(testDb.jdbcUrl(), "postgres", null).locations("classpath:db/migration")
                .target(target).load().migrate();
    }

    /** A migration script from the classpath, to run by hand. */
    static String script(String name) throws java.io.IOException {
        try (java.io.InputStream in = MigrationCheck.class.getResourceAsStream("/db/migration/" + name)) {
            if (in == null) {
                throw new java.io.IOException(name + " is not on the classpath");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /**
     * 2,000 events a day on three days from {@code first}: sends, deliveries, opens (some machine),
     * clicks, bounces, replies, warm-up; three tenants.
     *
     * @param uaColumn the column the User-Agent goes into
     * @param uaValue how its text {@code %s} becomes that column's value ({@code "%s"} for the text itself)
     * @param edgeColumn the column the edge node goes into
     * @param edgeValue that column's value, an SQL expression that may use the row number {@code i}
     */
    static String load(LocalDate first, String uaColumn, String uaValue, String edgeColumn, String edgeValue) {
        String ua = uaValue.formatted("(" + USER_AGENTS + ")[i % 5 + 1]");
        return """
                INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, campaign_id, mailbox_id, email_id,
                                          lead_id, step_id, ip_address, %2$s, url, is_machine, machine_reason, attributes,
                                          %3$s, automation, certainty, reasons)
                SELECT gen_random_uuid(), t.type, '%1$s'::timestamptz + i * interval '43 seconds',
                       ('00000000-0000-4000-8000-' || lpad((e %% 3)::text, 12, '0'))::uuid,
                       ('00000000-0000-4000-9000-' || lpad((e %% 2)::text, 12, '0'))::uuid,
                       CASE WHEN t.warm THEN NULL ELSE 'campaign-' || (e %% 7) END, 'mbox-' || (e %% 5),
                       CASE WHEN t.warm THEN NULL ELSE 'email-' || e END, CASE WHEN t.warm THEN NULL ELSE 'lead-' || (e %% 90) END,
                       CASE WHEN t.warm THEN NULL ELSE 'step-' || (e %% 4) END,
                       CASE WHEN t.touch THEN ('10.0.' || (e %% 250) || '.' || (i %% 250))::inet END,
                       CASE WHEN t.touch THEN %5$s END,
                       CASE WHEN t.type = 'click' THEN 'https://example.com/landing/' || (e %% 3) END,
                       t.machine, CASE WHEN t.machine THEN 'head_request' END,
                       CASE WHEN t.type = 'bounced' THEN jsonb_build_object('bounce_type', CASE WHEN e %% 2 = 0 THEN 'hard' ELSE 'soft' END)
                            WHEN t.warm THEN jsonb_build_object('partner_mailbox', 'peer-' || (i %% 7) || '@warm.example') END,
                       %4$s,
                       CASE WHEN t.touch THEN CASE WHEN t.machine THEN 'prefetch' ELSE 'none' END END,
                       CASE WHEN t.touch THEN 'certain' END, CASE WHEN t.touch THEN CASE WHEN t.machine THEN 1 ELSE 0 END END
                FROM generate_series(0, 5999) AS i
                CROSS JOIN LATERAL (SELECT i / 12 AS e, (i %% 12)::int AS k) ek
                CROSS JOIN LATERAL (SELECT (ARRAY['sent', 'delivered', 'open', 'open', 'open', 'click', 'click', 'bounced', 'replied',
                        'unsubscribed', 'warmup_open', 'warmup_reply'])[k + 1] AS type, k >= 10 AS warm, k IN (2, 3, 4, 5, 6) AS touch,
                        k IN (2, 5) AS machine) t
                """.formatted(first.atStartOfDay().atOffset(ZoneOffset.UTC), uaColumn, edgeColumn, edgeValue, ua);
    }

    /** Every roll-up over the three days up to {@code today} (billing by month), committed. */
    static void rollUpAll(TestDatabase testDb, LocalDate today) throws Exception {
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

    /**
     * The plan of {@code query} with sequential scans priced out, so that only a usable index shows;
     * {@code settings} are more {@code SET} statements' bodies ({@code "enable_bitmapscan = off"}).
     */
    static String plan(TestDatabase testDb, String query, String... settings) throws Exception {
        try (Connection c = testDb.connect(); java.sql.Statement s = c.createStatement()) {
            s.execute("SET enable_seqscan = off");
            for (String setting : settings) {
                s.execute("SET " + setting);
            }
            List<String> lines = new java.util.ArrayList<>();
            try (java.sql.ResultSet r = s.executeQuery("EXPLAIN " + query)) {
                while (r.next()) {
                    lines.add(r.getString(1));
                }
            }
            return String.join("\n", lines);
        }
    }

    /** Each roll-up table's rows without the times they were written at. */
    static Map<String, List<String>> snapshot(TestDatabase testDb) throws Exception {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String t : ROLL_UP_TABLES) {
            out.put(t, testDb.rows("SELECT (to_jsonb(t) - 'updated_at' - 'created_at')::text FROM " + t + " t ORDER BY 1"));
        }
        return out;
    }
}
