package io.trackedge.jobs.rollup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.jobs.Period;
import io.trackedge.jobs.RollUp;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An hour's job of the hourly tables recounts its hour alone (sql/V28), over emails whose events
 * spread across the hours of a day and the day before: a first open, click, read or link click in one
 * hour, later ones in later hours, human and machine. Each day's 24 hour jobs, run latest first,
 * leave exactly what its day job leaves, and an email's first of each kind is counted once, in the
 * hour it fell: an hour's lookup reaches back past its own day's start, not only to it.
 */
class HourRecountIT {

    private static final List<String> TABLES = List.of("stats_hourly", "link_clicks_hourly", "automation_hourly",
            "automation_hourly_tenant");
    private static final int EMAILS = 200;

    @Test
    void eachDaysHourJobsLeaveWhatItsDayJobLeavesWithFirstsAcrossHours() throws Exception {
        LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(1);
        try (TestDatabase testDb = TestDatabase.create();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 2)) {
            db.migrate();
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                // per email e: sent, a machine open, two human opens and a human click hours apart, a machine
                // click, a last human click on the same link; every fourth email opened the day before too
                s.execute("""
                        INSERT INTO email_events (occurred_at, tenant_id, event_id, user_id, edge_no, is_machine, event_type,
                                                  campaign_id, mailbox_id, step_id, email_id, url)
                        SELECT '%1$s'::timestamptz + ev.h * interval '1 hour' + e * interval '1 second',
                               CASE WHEN e %% 2 = 0 THEN '11111111-1111-4111-8111-111111111111'::uuid
                                    ELSE '22222222-2222-4222-8222-222222222222'::uuid END,
                               gen_random_uuid(), '33333333-3333-4333-8333-333333333333', 1, ev.machine, ev.type::email_event_type,
                               'camp-' || e %% 3, 'mbox-' || e %% 2, 'step-' || e %% 2, 'email-' || e,
                               CASE WHEN ev.type = 'click' THEN 'https://example.com/' || e %% 2 END
                        FROM generate_series(1, %2$d) AS e
                        CROSS JOIN LATERAL (VALUES (1, 'sent', false), (2, 'open', true), (3 + e %% 5, 'open', false),
                                                   (6 + e %% 7, 'open', false), (4 + e %% 9, 'click', false),
                                                   (10 + e %% 5, 'click', true), (20, 'click', false),
                                                   (CASE WHEN e %% 4 = 0 THEN -12 END, 'open', false)) AS ev(h, type, machine)
                        WHERE ev.h IS NOT NULL
                        """.formatted(day.atStartOfDay().atOffset(ZoneOffset.UTC), EMAILS));
            }
            Period[] days = {Period.dayOf(day.minusDays(1)), Period.dayOf(day)};
            try (Connection c = db.dataSource().getConnection()) {
                for (Period d : days) {
                    for (RollUp r : perHour()) {
                        RollUps.runCommitted(c, r, d, null);
                    }
                }
            }
            Map<String, List<String>> byDay = tables(testDb);
            assertEquals(List.of(EMAILS + "|" + EMAILS + "|" + EMAILS + "|" + EMAILS + "|" + EMAILS),
                    testDb.rows("SELECT sum(opened_first_any), sum(opened_first_human), sum(opened_first_machine),"
                            + " sum(clicked_first_any), sum(clicked_first_human) FROM stats_hourly"),
                    "each email's first of each kind once, in the hour it fell");
            assertTrue(testDb.count("SELECT count(DISTINCT hour) FROM stats_hourly WHERE opened_first_human > 0") >= 4,
                    "first human reads spread over hours");
            assertTrue(testDb.count("SELECT count(*) FROM stats_hourly WHERE opens_human > opened_first_human"
                    + " AND hour >= '" + day + "'") > 0, "later human opens in later hours, not counted as firsts");

            try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
                for (String t : TABLES) {
                    s.execute("DELETE FROM " + t);
                }
                for (Period d : days) {
                    for (int h = 23; h >= 0; h--) { // latest first: no hour leans on an earlier hour's rows
                        for (RollUp r : perHour()) {
                            RollUps.runCommitted(c, r, Period.hourOf(d.start().plus(Duration.ofHours(h))), null);
                        }
                    }
                }
            }
            assertEquals(byDay, tables(testDb));
        }
    }

    /**
     * A day recounted after retention dropped the email's earlier days (a late event, a re-score, a
     * retry) counts its firsts once: the first-touch tables, which retention keeps, still say an earlier
     * open, click and read happened. Before, the raw events alone were asked, and the day's later open,
     * click and read were counted as firsts a second time.
     */
    @Test
    void aRecountAfterRetentionDroppedTheEarlierDaysCountsNoFirstTwice() throws Exception {
        LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(1);
        LocalDate early = day.minusDays(5);
        String tenant = "11111111-1111-4111-8111-111111111111";
        try (TestDatabase testDb = TestDatabase.create();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 2)) {
            db.migrate();
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                for (String at : new String[] {early + "T10:00:00Z", day + "T10:00:00Z"}) {
                    for (String type : new String[] {"open", "click"}) {
                        s.execute("INSERT INTO email_events (occurred_at, tenant_id, event_id, user_id, edge_no, is_machine,"
                                + " event_type, campaign_id, mailbox_id, email_id, url) VALUES ('" + at + "'::timestamptz"
                                + (type.equals("click") ? " + interval '1 hour'" : "") + ", '" + tenant + "', gen_random_uuid(),"
                                + " '" + tenant + "', 1, false, '" + type + "', 'camp-1', 'mbox-1', 'email-1', "
                                + (type.equals("click") ? "'https://example.com/'" : "NULL") + ")");
                    }
                }
                // the first touches, as the sink writes them: the early day's
                s.execute("INSERT INTO email_opens (tenant_id, email_id, user_id, campaign_id, mailbox_id, event_id, opened_at, is_machine)"
                        + " SELECT tenant_id, email_id, user_id, campaign_id, mailbox_id, event_id, occurred_at, is_machine"
                        + " FROM email_events WHERE event_type = 'open' ORDER BY occurred_at LIMIT 1");
                s.execute("INSERT INTO email_clicks (tenant_id, email_id, user_id, campaign_id, mailbox_id, event_id, clicked_at,"
                        + " clicked_url, is_machine) SELECT tenant_id, email_id, user_id, campaign_id, mailbox_id, event_id,"
                        + " occurred_at, url, is_machine FROM email_events WHERE event_type = 'click' ORDER BY occurred_at LIMIT 1");
                s.execute("INSERT INTO email_human_opens (tenant_id, email_id, user_id, campaign_id, mailbox_id, event_id, event_type,"
                        + " opened_at) SELECT tenant_id, email_id, user_id, campaign_id, mailbox_id, event_id, 'open', occurred_at"
                        + " FROM email_events WHERE event_type = 'open' ORDER BY occurred_at LIMIT 1");
            }
            String firsts = "SELECT sum(opened_first_any) || '|' || sum(opened_first_human) || '|' || sum(clicked_first_any)"
                    + " || '|' || sum(clicked_first_human) FROM stats_hourly";
            RollUp stats = perHour().stream().filter(r -> r.jobType().equals("stats_hourly")).findFirst().orElseThrow();
            try (Connection c = db.dataSource().getConnection()) {
                RollUps.runCommitted(c, stats, Period.dayOf(early), null);
                RollUps.runCommitted(c, stats, Period.dayOf(day), null);
            }
            assertEquals(List.of("1|1|1|1"), testDb.rows(firsts), "each first once, on the early day");

            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                // what retention's drop leaves, and records (V31)
                s.execute("DELETE FROM email_event_rows WHERE occurred_at < '" + day + "'");
                s.execute("INSERT INTO email_events_dropped_through (day) VALUES ('" + day.minusDays(1) + "')");
            }
            try (Connection c = db.dataSource().getConnection()) {
                RollUps.runCommitted(c, stats, Period.dayOf(day), null);
            }
            assertEquals(List.of("1|1|1|1"), testDb.rows(firsts), "the recount of the later day counts no first again");
        }
    }

    private static List<RollUp> perHour() {
        return RollUps.all().stream().filter(RollUp::rowsPerHour).toList();
    }

    private static Map<String, List<String>> tables(TestDatabase testDb) throws Exception {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String t : TABLES) {
            out.put(t, testDb.rows("SELECT r::text FROM " + t + " r ORDER BY 1"));
        }
        return out;
    }
}
