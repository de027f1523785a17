package io.trackedge.jobs.rollup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.jobs.Period;
import io.trackedge.jobs.RollUp;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The health score's bounce and complaint rates are taken over the 7 days ending with the scored
 * day ({@link HealthScore}): complaints and bounces come a day or more after the mail they answer.
 * Counted against the day's sends alone, a mailbox that sent 1,000 emails on Monday and got one
 * complaint on Tuesday, when it sent nothing, scored 60 on Tuesday (a complaint rate of 100 %).
 */
class HealthScoreWindowIT {

    private static final UUID TENANT = UUID.fromString("71717171-7171-4717-8717-717171717171");
    private static final UUID USER = UUID.fromString("33333333-3333-4333-8333-333333333333");

    @Test
    void aComplaintTheDayAfterAThousandSendsCostsWhatItsRateDoes() throws Exception {
        LocalDate monday = LocalDate.now(ZoneOffset.UTC).minusDays(10);
        LocalDate tuesday = monday.plusDays(1);
        LocalDate aWeekOn = monday.plusDays(HealthScore.WINDOW_DAYS);
        try (TestDatabase db = TestDatabase.migrated();
             Database jobs = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 2);
             Connection c = jobs.dataSource().getConnection()) {
            try (Statement s = c.createStatement()) {
                for (String type : List.of("sent", "delivered")) {
                    s.execute("INSERT INTO email_events (occurred_at, tenant_id, event_id, user_id, edge_no, event_type, campaign_id,"
                            + " mailbox_id, email_id) SELECT '" + monday + "T10:00:00Z', '" + TENANT + "', gen_random_uuid(), '" + USER
                            + "', 1, '" + type + "', 'camp', 'box@example.com', 'e' || g FROM generate_series(1, 1000) g");
                }
                for (LocalDate day : List.of(tuesday, aWeekOn)) { // a complaint a day after, and one a week later
                    s.execute("INSERT INTO email_events (occurred_at, tenant_id, event_id, user_id, edge_no, event_type, campaign_id,"
                            + " mailbox_id, email_id) VALUES ('" + day + "T09:00:00Z', '" + TENANT + "', gen_random_uuid(), '" + USER
                            + "', 1, 'complained', 'camp', 'box@example.com', 'e1')");
                }
            }
            RollUp mailboxes = EmailMetricsRollUp.mailboxes();
            for (LocalDate day : List.of(monday, tuesday, aWeekOn)) {
                RollUps.runCommitted(c, mailboxes, Period.dayOf(day.atStartOfDay(ZoneOffset.UTC).toInstant()), null);
            }
            assertEquals(List.of(monday + "|100", tuesday + "|96", aWeekOn + "|60"), db.rows(
                    "SELECT date || '|' || health_score FROM mailbox_analytics WHERE mailbox_id = 'box@example.com' ORDER BY date"),
                    "Tuesday: 1 complaint in 1,000 sends over the week, 0.1 %, -4; a week later the sends are out of the window,"
                            + " and a complaint with no send in the week counts as a rate of 100 % (-40)");
        }
    }

    /**
     * Complaints reported late for a closed day move the scores of the week after it: the day's
     * re-run marks those closed days for the mailbox and warm-up roll-ups, whose re-runs (the
     * scheduler's, here by hand) score them with the new week, and mark nothing further.
     */
    @Test
    void aDayRecountedWithMoreComplaintsMarksTheClosedDaysOfTheWeekAfterIt() throws Exception {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        LocalDate monday = today.minusDays(10);
        LocalDate tuesday = monday.plusDays(1);
        LocalDate wednesday = monday.plusDays(2);
        try (TestDatabase db = TestDatabase.migrated();
             Database jobs = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 2);
             Connection c = jobs.dataSource().getConnection()) {
            try (Statement s = c.createStatement()) {
                insert(s, monday, "sent", 1000);
                insert(s, tuesday, "complained", 1);
                insert(s, wednesday, "sent", 1);
                insert(s, wednesday, "warmup_open", 1);
                // The scheduler's jobs of every closed day, completed (here the roll-ups run by hand): a day whose job
                // has not completed is marked whatever it holds, as that job may read the recounted day as it was.
                s.execute("INSERT INTO analytics_jobs (job_id, job_type, priority, status, granularity, period_start, period_end,"
                        + " finished_at) SELECT gen_random_uuid(), t, 50, 'completed', 'day', d, d + interval '1 day', now()"
                        + " FROM unnest(ARRAY['mailbox_analytics', 'warmup_analytics']) t, generate_series('" + monday
                        + "T00:00:00Z'::timestamptz, '" + today.minusDays(1) + "T00:00:00Z', interval '1 day') d");
            }
            RollUp mailboxes = EmailMetricsRollUp.mailboxes();
            RollUp warmup = new WarmupRollUp();
            for (LocalDate day : List.of(monday, tuesday, wednesday)) {
                run(c, mailboxes, day);
            }
            run(c, warmup, wednesday);
            assertEquals(List.of(), db.rows("SELECT day::text FROM analytics_late_days"),
                    "days run in order: each day's later days were not computed from it, nothing to mark");
            assertEquals(List.of(monday + "|100", tuesday + "|96", wednesday + "|76"), scores(db, wednesday),
                    "Wednesday: a warm-up open without a reply, -20, on both tables");

            assertEquals(List.of(wednesday + "|76"), db.rows("SELECT date || '|' || health_score FROM warmup_analytics"),
                    "1 complaint in 1,001 sends over the week, -4; a warm-up open without a reply, -20");

            LocalDate thursday = monday.plusDays(3);
            try (Statement s = c.createStatement()) {
                insert(s, monday, "complained", 9); // reported late, for Monday's mail, landing on Monday
                // Thursday's warm-up job under way on another runner: its rows are not visible yet; Friday's mailbox job queued
                // (a backfill), whose claim may come before this recount commits
                s.execute("UPDATE analytics_jobs SET status = 'queued', finished_at = NULL WHERE job_type = 'mailbox_analytics'"
                        + " AND period_start = '" + monday.plusDays(4) + "T00:00:00Z'");
                s.execute("UPDATE analytics_jobs SET status = 'running', runner = 'other', lease_until = now() + interval '1 minute',"
                        + " finished_at = NULL WHERE job_type = 'warmup_analytics' AND period_start = '" + thursday + "T00:00:00Z'");
            }
            run(c, mailboxes, monday);
            assertEquals(List.of(tuesday + "|mailbox_analytics", wednesday + "|mailbox_analytics", wednesday + "|warmup_analytics",
                            thursday + "|warmup_analytics", monday.plusDays(4) + "|mailbox_analytics"),
                    db.rows("SELECT day || '|' || job_type FROM analytics_late_days ORDER BY day, job_type"),
                    "Monday's complaints moved: the closed days of the week after it that scored the mailbox are marked, each for"
                            + " the roll-up that scored it, and so is a day whose job has not completed; no later day is");

            try (Connection other = db.connect(); Statement s = other.createStatement()) {
                s.execute("DELETE FROM analytics_late_days"); // taken by the scheduler, which re-runs the marked days
            }
            for (LocalDate day : List.of(tuesday, wednesday)) {
                run(c, mailboxes, day);
            }
            run(c, warmup, wednesday);
            assertEquals(List.of(monday + "|64", tuesday + "|60", wednesday + "|40"), scores(db, wednesday),
                    "Monday: 9 complaints in 1,000 sends, -36; Tuesday and Wednesday: 10 in about 1,000 over the week, -40");
            assertEquals(List.of(wednesday + "|40"), db.rows("SELECT date || '|' || health_score FROM warmup_analytics"),
                    "10 complaints in 1,001 sends over the week, -40; the warm-up open without a reply, -20");
            assertEquals(List.of(), db.rows("SELECT day::text FROM analytics_late_days"),
                    "the re-runs moved scores, not counts: nothing further is marked");

            try (Statement s = c.createStatement()) {
                insert(s, today.minusDays(1), "complained", 1);
            }
            run(c, mailboxes, today.minusDays(1));
            assertEquals(List.of(), db.rows("SELECT day::text FROM analytics_late_days"),
                    "yesterday's run, each night's: no day after it has closed");
        }
    }

    private static void insert(Statement s, LocalDate day, String type, int count) throws Exception {
        s.execute("INSERT INTO email_events (occurred_at, tenant_id, event_id, user_id, edge_no, event_type, campaign_id,"
                + " mailbox_id, email_id) SELECT '" + day + "T10:00:00Z', '" + TENANT + "', gen_random_uuid(), '" + USER
                + "', 1, '" + type + "', 'camp', 'box@example.com', 'e' || g FROM generate_series(1, " + count + ") g");
    }

    private static void run(Connection c, RollUp rollUp, LocalDate day) throws Exception {
        RollUps.runCommitted(c, rollUp, Period.dayOf(day.atStartOfDay(ZoneOffset.UTC).toInstant()), null);
    }

    private static List<String> scores(TestDatabase db, LocalDate through) throws Exception {
        return db.rows("SELECT date || '|' || health_score FROM mailbox_analytics WHERE mailbox_id = 'box@example.com'"
                + " AND date <= '" + through + "' ORDER BY date");
    }
}
