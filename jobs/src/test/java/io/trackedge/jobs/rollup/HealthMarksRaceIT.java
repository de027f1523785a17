package io.trackedge.jobs.rollup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.jobs.Period;
import io.trackedge.jobs.RollUp;
import io.trackedge.sink.testing.TestDatabase;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A mailbox job's re-run of a closed day deletes the day's rows and inserts their recount in two
 * READ COMMITTED statements, each reading the raw events as they stand when it starts. The days after
 * it to mark for re-scoring ({@link HealthScore#replaceDayMarkingWeekAfter}) were decided in the first,
 * from a recount of its own; a sink batch of late hard bounces committing between the two then went
 * into the inserted row but not into that decision. The later days, which hold the mailbox's score,
 * were never marked, and never were again: each later recount of the day compared against the row
 * already holding the bounces. Here the batch commits at that exact point (the job's connection runs
 * it just before the insert is prepared).
 */
class HealthMarksRaceIT {

    private static final UUID TENANT = UUID.fromString("72727272-7272-4727-8727-727272727272");
    private static final UUID USER = UUID.fromString("33333333-3333-4333-8333-333333333333");

    @Test
    void aBatchCommittingBetweenTheDeleteAndTheInsertStillMarksTheWeekAfter() throws Exception {
        LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(10);
        RollUp mailboxes = EmailMetricsRollUp.mailboxes();
        try (TestDatabase db = TestDatabase.migrated(); Connection c = db.connect()) {
            try (Statement s = c.createStatement()) {
                for (int k = 0; k < HealthScore.WINDOW_DAYS; k++) {
                    s.execute(events(day.plusDays(k), "sent", "e" + k + "-", 100, null));
                }
            }
            for (int k = 0; k < HealthScore.WINDOW_DAYS; k++) {
                run(c, mailboxes, day.plusDays(k));
                // The scheduler's jobs of the day, completed: only a day holding the mailbox's score is marked.
                for (String type : HealthScore.SCORED_JOB_TYPES) {
                    completed(c, type, day.plusDays(k));
                }
            }
            try (Statement s = c.createStatement()) {
                s.execute("DELETE FROM analytics_late_days"); // each first run marked the days after it; taken
            }

            AtomicBoolean committed = new AtomicBoolean();
            Connection job = before(c, "INSERT INTO mailbox_analytics", () -> {
                try (Connection batch = db.connect(); Statement s = batch.createStatement()) {
                    batch.setAutoCommit(false);
                    s.execute(events(day, "bounced", "e0-", 10, "{\"bounce_type\": \"hard\"}"));
                    s.execute("INSERT INTO analytics_late_days (day) VALUES ('" + day + "')"); // the sink's mark
                    batch.commit();
                }
                committed.set(true);
            });
            run(job, mailboxes, day); // a re-run of the day (a backfill, or an earlier late batch's)
            assertTrue(committed.get(), "the batch committed between the day's delete and its insert");

            // The scheduler's late-event re-runs, by hand, until no mark is left.
            for (int round = 0; round < 5; round++) {
                List<LocalDate> marked = take(c);
                if (marked.isEmpty()) {
                    break;
                }
                for (LocalDate d : marked) {
                    run(c, mailboxes, d);
                }
            }
            assertEquals(List.of(), db.rows("SELECT day || ' ' || coalesce(job_type, '') FROM analytics_late_days"));
            List<String> expected = new ArrayList<>();
            int[] scores = {60, 80, 87, 90, 92, 93, 94}; // 10 hard bounces in 100 sends, then in 200, ... 700 over the week
            for (int k = 0; k < HealthScore.WINDOW_DAYS; k++) {
                expected.add(day.plusDays(k) + " " + scores[k]);
            }
            assertEquals(expected, db.rows("SELECT date || ' ' || health_score FROM mailbox_analytics ORDER BY date"),
                    "the days of the week after the bounces' day, which scored the mailbox, are re-run with them");

            // Days replaced in one transaction (a week's job, a tenant move's recount): each day's old rows are compared
            // with its own recount alone, not with the day before's (10 bounces against none would mark the week again).
            c.setAutoCommit(false);
            mailboxes.run(c, Period.dayOf(day), null);
            mailboxes.run(c, Period.dayOf(day.plusDays(1)), null);
            c.commit();
            c.setAutoCommit(true);
            assertEquals(expected, db.rows("SELECT date || ' ' || health_score FROM mailbox_analytics ORDER BY date"));
            assertEquals(List.of(), db.rows("SELECT day || ' ' || coalesce(job_type, '') FROM analytics_late_days"),
                    "nothing moved");
        }
    }

    /**
     * A day counted for the first time (run by hand ahead of the schedule: no job, no row before) marks no
     * day for having no completed job: each would count for the first time too and mark the week after it,
     * down the whole history. A re-run of it whose counts move does mark them.
     */
    @Test
    void aFirstCountMarksNoDayForLackingAJobAndARecountDoes() throws Exception {
        LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(20);
        RollUp mailboxes = EmailMetricsRollUp.mailboxes();
        try (TestDatabase db = TestDatabase.migrated(); Connection c = db.connect()) {
            try (Statement s = c.createStatement()) {
                for (int k = 0; k < HealthScore.WINDOW_DAYS; k++) {
                    s.execute(events(day.plusDays(k), "sent", "f" + k + "-", 100, null));
                }
            }
            run(c, mailboxes, day);
            assertEquals(List.of(), db.rows("SELECT day || ' ' || coalesce(job_type, '') FROM analytics_late_days"),
                    "a first count: the days after it have no job to re-run");
            try (Statement s = c.createStatement()) {
                s.execute(events(day, "bounced", "f0-", 10, "{\"bounce_type\": \"hard\"}"));
            }
            run(c, mailboxes, day);
            assertEquals(2 * (HealthScore.WINDOW_DAYS - 1), db.rows("SELECT day || ' ' || job_type FROM analytics_late_days").size(),
                    "a recount that moved: the week after it, for the mailbox and the warm-up jobs, none completed");
        }
    }

    private static String events(LocalDate day, String type, String emailPrefix, int count, String attributes) {
        return "INSERT INTO email_events (occurred_at, tenant_id, event_id, user_id, edge_no, event_type, campaign_id, mailbox_id,"
                + " email_id, attributes) SELECT '" + day + "T10:00:00Z'::timestamptz + g * interval '1 second', '" + TENANT
                + "', gen_random_uuid(), '" + USER + "', 1, '" + type + "', 'camp', 'box@example.com', '" + emailPrefix + "' || g, "
                + (attributes == null ? "NULL" : "'" + attributes + "'") + "::jsonb FROM generate_series(1, " + count + ") g";
    }

    private static void completed(Connection c, String type, LocalDate day) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("INSERT INTO analytics_jobs (job_id, job_type, priority, status, granularity, period_start, period_end,"
                    + " finished_at) VALUES (gen_random_uuid(), '" + type + "', 50, 'completed', 'day', '" + day + "T00:00:00Z', '"
                    + day.plusDays(1) + "T00:00:00Z', now())");
        }
    }

    /** Takes the days marked for the mailbox roll-up (by a batch: every type; or by name), as the scheduler does. */
    private static List<LocalDate> take(Connection c) throws SQLException {
        List<LocalDate> days = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("WITH t AS (DELETE FROM analytics_late_days"
                + " WHERE job_type IS NULL OR job_type = 'mailbox_analytics' RETURNING day) SELECT DISTINCT day FROM t ORDER BY day")) {
            while (r.next()) {
                days.add(r.getObject(1, LocalDate.class));
            }
        }
        return days;
    }

    private static void run(Connection c, RollUp rollUp, LocalDate day) throws SQLException {
        RollUps.runCommitted(c, rollUp, Period.dayOf(day), null);
    }

    /** Work to do at a point of another connection's transaction. */
    @FunctionalInterface
    interface Between {
        void run() throws SQLException;
    }

    /** {@code c}, doing {@code between} once just before it prepares the first statement whose text holds {@code marker}. */
    static Connection before(Connection c, String marker, Between between) {
        AtomicBoolean done = new AtomicBoolean();
        return (Connection) Proxy.newProxyInstance(HealthMarksRaceIT.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("prepareStatement") && args[0] instanceof String sql && sql.contains(marker)
                            && done.compareAndSet(false, true)) {
                        between.run();
                    }
                    try {
                        return method.invoke(c, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
