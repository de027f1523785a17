package io.trackedge.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * An erasure marks for {@code lead_analytics}'s re-run every day its email had events on, the days
 * whose events name no lead too: a reply reported without a lead counts for the lead the email's send
 * named days before, so its day's row names the person as well (sql/V36).
 */
class ErasureLeadDaysIT {

    private static final UUID TENANT = UUID.fromString("11111111-1111-4111-8111-111111111111");

    @Test
    void everyDayOfTheErasedEmailIsMarkedForTheLeadRollUp() throws Exception {
        try (TestDatabase testDb = TestDatabase.create();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 2)) {
            db.migrate();
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO email_events (occurred_at, tenant_id, event_id, user_id, edge_no, event_type, campaign_id,"
                        + " mailbox_id, email_id, lead_id) VALUES"
                        + " ('2026-11-20 10:00+00', '" + TENANT + "', gen_random_uuid(), gen_random_uuid(), 1, 'sent', 'camp', 'mbox',"
                        + " 'email-1', 'lead-1'),"
                        + " ('2026-11-22 10:00+00', '" + TENANT + "', gen_random_uuid(), gen_random_uuid(), 1, 'replied', 'camp', 'mbox',"
                        + " 'email-1', NULL)");
                s.execute("DELETE FROM analytics_late_days");
                Erasure.erase(c, TENANT, "email-1", "test:erasure-lead-days");
            }
            assertEquals(List.of("2026-11-20", "2026-11-22"),
                    testDb.rows("SELECT day FROM analytics_late_days WHERE job_type = 'lead_analytics' ORDER BY 1"),
                    "the reply's day, which names no lead, too");
        }
    }
}
