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
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;

/**
 * What the migration tests of {@code email_events} share: migrating a test database to a version,
 * loading events with plain SQL at an older schema, and the roll-up tables' rows those events must
 * give, taken before migrating and compared after.
 */
final class MigrationCheck {

    /** The roll-ups of email_events (warmup_daily_stats is made from warmup_interactions, which no events migration touches). */
    static final List<String> ROLL_UP_TABLES = List.of("campaign_analytics", "mailbox_analytics", "lead_analytics",
            "sequence_step_analytics", "warmup_analytics", "billing_analytics", "daily_analytics",
            "stats_hourly", "link_clicks_hourly", "automation_hourly");
    /**
     * The recounts of {@link RollUpRecount} by table. A roll-up table is named like the job type that
     * fills it, except {@code daily_analytics}, which {@code daily_reconcile} repairs.
     */
    private static final Map<String, RollUpRecount.Pair> RECOUNTS = Stream.concat(RollUpRecount.ALL.stream(),
            Stream.of(RollUpRecount.DAILY)).collect(Collectors.toMap(RollUpRecount.Pair::table, p -> p));
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
     * clicks, bounces, replies, warm-up; three tenants. The warm-up events' interactions too, as the
     * sink writes them (warm-up progress counts from a mailbox's first).
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
                        k IN (2, 5) AS machine) t;
                INSERT INTO warmup_interactions (event_id, tenant_id, user_id, mailbox_id, interaction_type, partner_mailbox, interaction_at)
                SELECT event_id, tenant_id, user_id, mailbox_id, CASE WHEN event_type = 'warmup_open' THEN 'open' ELSE 'reply' END,
                       attributes->>'partner_mailbox', occurred_at
                FROM email_events WHERE event_type IN ('warmup_open', 'warmup_reply')
                """.formatted(first.atStartOfDay().atOffset(ZoneOffset.UTC), uaColumn, edgeColumn, edgeValue, ua);
    }

    /**
     * What the roll-up tables must hold for the events in {@code testDb}, at whatever schema it is
     * at: the daily tables and billing as {@link RollUpRecount} recounts them from
     * {@code email_events} (their roll-ups read {@code email_event_rows}, which older schemas do not
     * have), and the hourly tables as their roll-ups over every day with events leave them. Compare with
     * {@link #rolledUpAtNewest}.
     */
    static Map<String, List<String>> expectedRollUps(TestDatabase testDb) throws Exception {
        // the roll-ups whose table has no recount: the hourly ones (daily_reconcile fills no table of that name)
        rollUp(testDb, r -> ROLL_UP_TABLES.contains(r.jobType()) && !RECOUNTS.containsKey(r.jobType()));
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String t : ROLL_UP_TABLES) {
            RollUpRecount.Pair recount = RECOUNTS.get(t);
            out.put(t, recount != null ? testDb.rows(recount.recount()) : rows(testDb, t));
        }
        return out;
    }

    /**
     * Migrates {@code testDb} to the newest schema, runs every roll-up over every day with events,
     * and returns the tables in the form of {@link #expectedRollUps}.
     */
    static Map<String, List<String>> rolledUpAtNewest(TestDatabase testDb) throws Exception {
        migrate(testDb, "latest");
        rollUp(testDb, r -> true);
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String t : ROLL_UP_TABLES) {
            RollUpRecount.Pair recount = RECOUNTS.get(t);
            out.put(t, recount != null ? testDb.rows(recount.fromTable()) : rows(testDb, t));
        }
        return out;
    }

    /** The roll-ups that {@code which} admits, over every day that has events (billing by month), each committed. */
    private static void rollUp(TestDatabase testDb, Predicate<RollUp> which) throws Exception {
        List<LocalDate> days = testDb.rows("SELECT DISTINCT (occurred_at AT TIME ZONE 'UTC')::date FROM email_events ORDER BY 1")
                .stream().map(LocalDate::parse).toList();
        try (Connection c = testDb.connect()) {
            for (RollUp r : RollUps.all()) {
                if (!which.test(r)) {
                    continue;
                }
                boolean monthly = r.jobType().equals("billing_analytics");
                for (Period p : days.stream().map(d -> monthly ? Period.monthOf(YearMonth.from(d)) : Period.dayOf(d)).distinct().toList()) {
                    RollUps.runCommitted(c, r, p, null);
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

    /**
     * Each table whose rows differ between {@code expected} and {@code actual}, with up to three rows
     * found in one and not the other; empty when they are equal. Keeps a failure's message readable.
     */
    static List<String> differences(Map<String, List<String>> expected, Map<String, List<String>> actual) {
        List<String> out = new java.util.ArrayList<>();
        for (String t : expected.keySet()) {
            List<String> missing = new java.util.ArrayList<>(expected.get(t));
            List<String> extra = new java.util.ArrayList<>(actual.getOrDefault(t, List.of()));
            missing.removeAll(actual.getOrDefault(t, List.of()));
            extra.removeAll(expected.get(t));
            if (!missing.isEmpty() || !extra.isEmpty()) {
                out.add(t + ": " + missing.size() + " rows expected and not found, e.g. " + missing.stream().limit(3).toList()
                        + "; " + extra.size() + " found and not expected, e.g. " + extra.stream().limit(3).toList());
            }
        }
        return out;
    }

    /** A table's rows without the times they were written at. */
    private static List<String> rows(TestDatabase testDb, String table) throws Exception {
        return testDb.rows("SELECT (to_jsonb(t) - 'updated_at' - 'created_at')::text FROM " + table + " t ORDER BY 1");
    }
}
