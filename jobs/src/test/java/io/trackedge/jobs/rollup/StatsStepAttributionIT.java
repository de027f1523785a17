package io.trackedge.jobs.rollup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.jobs.Period;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which step an event counts for in {@code stats_hourly} (the stats API's {@code step} dimension and
 * filter): its own when it names one; without one, the least its email's events of the hour in the
 * campaign name; else, for a reply (unsubscribe, complaint, bounce), the least its email's events in
 * the campaign of the 90 days before name, as {@code sequence_step_analytics} counts it. One that finds
 * none stays under no step: the campaign's counts do not move.
 */
class StatsStepAttributionIT {

    private static final String TENANT = "11111111-1111-4111-8111-111111111111";

    @Test
    void aStepLessEventCountsForItsEmailsStep() throws Exception {
        LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(1);
        try (TestDatabase testDb = TestDatabase.create();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 2)) {
            db.migrate();
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                StepEvents.insert(s, day, TENANT, ""
                        // email-1: a send at step 1 and, in the same hour, a delivery and an open naming no step
                        + " (0, 1, 'sent', 'camp', 'email-1', '1'), (0, 1, 'delivered', 'camp', 'email-1', NULL),"
                        + " (0, 1, 'open', 'camp', 'email-1', NULL),"
                        // email-2: sent three days before at step 2, replied naming none
                        + " (-3, 1, 'sent', 'camp', 'email-2', '2'), (0, 5, 'replied', 'camp', 'email-2', NULL),"
                        // email-3: sent three days before at step 3, delivered naming none
                        + " (-3, 1, 'sent', 'camp', 'email-3', '3'), (0, 6, 'delivered', 'camp', 'email-3', NULL),"
                        // email-4: its step was in another campaign; its reply in this one names none
                        + " (-3, 1, 'sent', 'other', 'email-4', '9'), (0, 7, 'replied', 'camp', 'email-4', NULL),"
                        // email-5: sent at step 4 in hour 2, bounced in hour 8 naming none
                        + " (0, 2, 'sent', 'camp', 'email-5', '4'), (0, 8, 'bounced', 'camp', 'email-5', NULL),"
                        // email-6: sent at step 5 in hour 3, delivered in hour 9 naming none (not an outcome looked back for)
                        + " (0, 3, 'sent', 'camp', 'email-6', '5'), (0, 9, 'delivered', 'camp', 'email-6', NULL),"
                        // email-7: sent three days before at step 8, replied in hour 10 naming none, sent again at step 7 in
                        // hour 11: the reply's step is looked for up to its hour's end, in the day's run as in the hour's
                        + " (-3, 1, 'sent', 'camp', 'email-7', '8'), (0, 10, 'replied', 'camp', 'email-7', NULL),"
                        + " (0, 11, 'sent', 'camp', 'email-7', '7')");
                for (int h : new int[] {1, 2, 3, 5, 6, 7, 8, 9, 10, 11}) {
                    RollUps.runCommitted(c, HourlyRollUp.stats(), Period.hourOf(day.atTime(h, 0).toInstant(ZoneOffset.UTC)), null);
                }
            }
            List<String> hours = List.of(
                            "1|1|1|0|0|1", // the send, and the step-less delivery and open of its hour
                            "2|0|0|1|0|0", // the reply, by the send of three days before
                            "4|1|0|0|1|0", // the send, and the bounce six hours later
                            "5|1|0|0|0|0",
                            "7|1|0|0|0|0",
                            "8|0|0|1|0|0",
                            // email-3's and email-6's deliveries, which their hours name no step for, and email-4's reply
                            // (its step is another campaign's)
                            "none|0|2|1|0|0");
            assertEquals(hours, rows(testDb, day));
            try (Connection c = testDb.connect()) {
                RollUps.runCommitted(c, HourlyRollUp.stats(), Period.dayOf(day), null);
            }
            assertEquals(hours, rows(testDb, day), "a day's run counts each hour as the hour's own run did");
        }
    }

    private static List<String> rows(TestDatabase testDb, LocalDate day) throws Exception {
        return testDb.rows("SELECT step || '|' || sent || '|' || delivered || '|' || replied || '|' || bounces || '|' || opens"
                            + " FROM (SELECT coalesce(step_id, 'none') AS step, sum(sent) AS sent, sum(delivered) AS delivered,"
                            + " sum(replied) AS replied, sum(bounces_hard + bounces_soft) AS bounces, sum(opens_human + opens_machine)"
                            + " AS opens FROM stats_hourly WHERE campaign_id = 'camp' AND hour >= '" + day + "' GROUP BY 1) t ORDER BY 1");
    }
}
