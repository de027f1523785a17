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
 * Which lead an event counts for in {@code lead_analytics}: its own when it names one, even beside
 * another the same email names that day; without one, the least its email's events of the day name;
 * else, for a reply (unsubscribe, complaint, bounce), the least its email's events of the 90 days
 * before name; a lead-less {@code delivered} alone counts for none. An email counts once per lead.
 */
class LeadAttributionIT {

    private static final String TENANT = "11111111-1111-4111-8111-111111111111";

    @Test
    void eachEventCountsForItsOwnLeadOrItsEmailsLead() throws Exception {
        LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(1);
        try (TestDatabase testDb = TestDatabase.create();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 2)) {
            db.migrate();
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO email_events (occurred_at, tenant_id, event_id, user_id, edge_no, event_type, campaign_id,"
                        + " mailbox_id, email_id, lead_id) SELECT (('" + day + "'::date + ev.days)::timestamp + ev.h * interval '1 hour') AT TIME ZONE 'UTC', '" + TENANT
                        + "', gen_random_uuid(), gen_random_uuid(), 1, ev.type::email_event_type, 'camp', 'mbox', ev.email, ev.lead"
                        + " FROM (VALUES"
                        // email-1, the day: a send naming L1, an open naming L2, a reply and an open naming none
                        + " (0, 1, 'sent', 'email-1', 'L1'), (0, 2, 'open', 'email-1', 'L2'), (0, 3, 'replied', 'email-1', NULL),"
                        + " (0, 4, 'open', 'email-1', NULL),"
                        // email-2: sent three days before naming L3, replied on the day naming none
                        + " (-3, 1, 'sent', 'email-2', 'L3'), (0, 5, 'replied', 'email-2', NULL),"
                        // email-3: sent three days before naming L4, delivered on the day naming none
                        + " (-3, 1, 'sent', 'email-3', 'L4'), (0, 6, 'delivered', 'email-3', NULL)"
                        + ") AS ev(days, h, type, email, lead)");
                RollUps.runCommitted(c, EmailMetricsRollUp.leads(), Period.dayOf(day), null);
            }
            assertEquals(List.of(
                            "L1|1|1|1|1|replied", // the send, the reply and the lead-less open: email-1's least lead
                            "L2|0|0|1|1|opened", // its own open, and one email
                            "L3|0|1|0|0|replied"), // the reply, by the send of three days before
                    testDb.rows("SELECT lead_id, sent, replied, opens_total, opened_tracked, status"
                            + " FROM lead_analytics WHERE date = '" + day + "' ORDER BY lead_id"),
                    "email-3's lead-less delivered alone counts for no lead");
        }
    }
}
