package io.trackedge.jobs.rollup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.jobs.Period;
import io.trackedge.privacy.Erasure;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A day whose last raw events an erasure took is recomputed to nothing: the erased email's lead
 * leaves {@code lead_analytics}, as it does from a day with other events left. A day whose partition
 * retention dropped keeps its rows: they are all that is left of it.
 */
class EmptiedDayIT {

    private static final UUID TENANT = UUID.fromString("11111111-1111-4111-8111-111111111111");

    @Test
    void aDayEmptiedByAnErasureLosesItsRowsAndADroppedDayKeepsThem() throws Exception {
        LocalDate emptied = LocalDate.now(ZoneOffset.UTC).minusDays(1);
        LocalDate dropped = LocalDate.now(ZoneOffset.UTC).minusDays(2);
        try (TestDatabase testDb = TestDatabase.create();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 2)) {
            db.migrate();
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO email_events (occurred_at, tenant_id, event_id, user_id, edge_no, event_type, campaign_id,"
                        + " mailbox_id, email_id, lead_id) VALUES"
                        + " ('" + emptied + " 10:00+00', '" + TENANT + "', gen_random_uuid(), gen_random_uuid(), 1, 'sent', 'camp',"
                        + " 'mbox', 'email-1', 'lead-1'),"
                        + " ('" + dropped + " 10:00+00', '" + TENANT + "', gen_random_uuid(), gen_random_uuid(), 1, 'sent', 'camp',"
                        + " 'mbox', 'email-2', 'lead-2')");
                leads(c, emptied, dropped);
                assertEquals(List.of(dropped + "|lead-2", emptied + "|lead-1"), rows(testDb));

                Erasure.erase(c, TENANT, "email-1", "test:emptied-day");
                // as retention drops a day (one dropped before V31 has no mark in email_events_dropped_through)
                s.execute("DROP TABLE email_events_" + dropped.format(DateTimeFormatter.BASIC_ISO_DATE));
                leads(c, emptied, dropped);
            }
            assertEquals(List.of(dropped + "|lead-2"), rows(testDb), "the erased lead's day recomputed to nothing; the dropped day kept");
        }
    }

    private static void leads(Connection c, LocalDate... days) throws Exception {
        for (LocalDate d : days) {
            RollUps.runCommitted(c, EmailMetricsRollUp.leads(), Period.dayOf(d), null);
        }
    }

    private static List<String> rows(TestDatabase testDb) throws Exception {
        return testDb.rows("SELECT date || '|' || lead_id FROM lead_analytics ORDER BY 1");
    }
}
