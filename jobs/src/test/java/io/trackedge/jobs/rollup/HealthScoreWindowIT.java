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
}
