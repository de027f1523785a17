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
 * Which step an event counts for in {@code sequence_step_analytics}: its own when it names one;
 * without one (a mail server's delivery, bounce or reply), the least its email's events of the day in
 * the campaign name; else, for a reply (unsubscribe, complaint, bounce), the least its email's events
 * in the same campaign of the 90 days before name. A step-less {@code delivered} alone counts for none.
 */
class StepAttributionIT {

    private static final String TENANT = "11111111-1111-4111-8111-111111111111";

    @Test
    void eachEventCountsForItsOwnStepOrItsEmailsStep() throws Exception {
        LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(1);
        try (TestDatabase testDb = TestDatabase.create();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 2)) {
            db.migrate();
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                StepEvents.insert(s, day, TENANT, ""
                        // email-1, the day: a send at step 1, then a reply and an open naming no step
                        + " (0, 1, 'sent', 'camp', 'email-1', '1'), (0, 3, 'replied', 'camp', 'email-1', NULL),"
                        + " (0, 4, 'open', 'camp', 'email-1', NULL),"
                        // email-2: sent three days before at step 2, replied on the day naming none
                        + " (-3, 1, 'sent', 'camp', 'email-2', '2'), (0, 5, 'replied', 'camp', 'email-2', NULL),"
                        // email-3: sent three days before at step 3, delivered on the day naming none
                        + " (-3, 1, 'sent', 'camp', 'email-3', '3'), (0, 6, 'delivered', 'camp', 'email-3', NULL),"
                        // email-4: its step was in another campaign; its reply in this one names none
                        + " (-3, 1, 'sent', 'other', 'email-4', '9'), (0, 7, 'replied', 'camp', 'email-4', NULL)");
                RollUps.runCommitted(c, EmailMetricsRollUp.sequenceSteps(), Period.dayOf(day.minusDays(3)), null);
                RollUps.runCommitted(c, EmailMetricsRollUp.sequenceSteps(), Period.dayOf(day), null);
            }
            assertEquals(List.of(
                            "camp|1|1|1|1|0", // the send, the reply and the step-less open: email-1's step of the day
                            "camp|2|0|1|0|0"), // the reply, by the send of three days before
                    testDb.rows("SELECT campaign_id || '|' || step_id || '|' || sent || '|' || replied || '|' || opens_total"
                            + " || '|' || delivered FROM sequence_step_analytics WHERE date = '" + day + "' ORDER BY 1"),
                    "email-3's step-less delivered alone, and email-4's reply (its step is another campaign's), count for no step");
            assertEquals(testDb.rows(RollUpRecount.STEPS.recount()), testDb.rows(RollUpRecount.STEPS.fromTable()),
                    "the independent recount says the same of both days");
        }
    }
}
