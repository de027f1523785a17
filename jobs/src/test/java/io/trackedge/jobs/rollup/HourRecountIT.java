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
