package io.trackedge.jobs.rollup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.jobs.JobSettings;
import io.trackedge.jobs.JobStore;
import io.trackedge.jobs.Period;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * V20: {@code stats_hourly} counts an email's first human open <em>or click</em> as its first human
 * open, as {@code email_human_opens} does. On a database holding data, the migration puts every
 * completed {@code stats_hourly} day job back in the queue and nothing else; running such a day
 * counts an email read only by a click.
 */
class HumanReadsMigrationIT {

    private static final String TENANT = "00000000-0000-4000-8000-000000000001";

    @Test
    void theRolledUpDaysAreRecountedAndAClickCountsAsAHumanRead() throws Exception {
        try (TestDatabase testDb = TestDatabase.create()) {
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            LocalDate day = today.minusDays(1);
            MigrationCheck.migrate(testDb, "19");
            JobStore jobs = new JobStore(null, JobSettings.defaults());
            UUID dayJob;
            UUID hourJob;
            UUID otherType;
            UUID running;
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute(MigrationCheck.load(today.minusDays(2), "user_agent_id", "user_agent_id(%s)", "edge_no", "1"));
                // An email read only by a person's click: delivered, then clicked, never opened.
                s.execute("INSERT INTO email_events (occurred_at, tenant_id, event_id, user_id, edge_no, is_machine, event_type,"
                        + " campaign_id, mailbox_id, email_id, url) VALUES"
                        + " ('" + day + "T12:00:00Z', '" + TENANT + "', gen_random_uuid(), gen_random_uuid(), 1, false, 'delivered',"
                        + " 'click-first', 'mbox-0', 'email-click-first', NULL),"
                        + " ('" + day + "T12:30:00Z', '" + TENANT + "', gen_random_uuid(), gen_random_uuid(), 1, false, 'click',"
                        + " 'click-first', 'mbox-0', 'email-click-first', 'https://example.com/x')");
                dayJob = completed(jobs, c, "stats_hourly", Period.dayOf(day));
                hourJob = completed(jobs, c, "stats_hourly", Period.hourOf(day.atTime(12, 0).toInstant(ZoneOffset.UTC)));
                otherType = completed(jobs, c, "campaign_analytics", Period.dayOf(day));
                running = jobs.enqueue(c, "stats_hourly", 50, Period.dayOf(day.minusDays(1)), null).jobId();
                s.execute("UPDATE analytics_jobs SET status = 'running', runner = 'r', lease_until = now() + interval '1 minute'"
                        + " WHERE job_id = '" + running + "'");
            }

            MigrationCheck.migrate(testDb, "20");
            assertEquals(List.of(dayJob + " queued", hourJob + " completed", otherType + " completed", running + " running").stream()
                    .sorted().toList(), testDb.rows("SELECT job_id || ' ' || status FROM analytics_jobs").stream().sorted().toList());

            try (Connection c = testDb.connect()) {
                RollUps.runCommitted(c, HourlyRollUp.stats(), Period.dayOf(day), null);
            }
            assertEquals(1, testDb.count("SELECT sum(opened_first_human) FROM stats_hourly WHERE campaign_id = 'click-first'"),
                    "the email read by a click is a first human open");
            assertEquals(0, testDb.count("SELECT sum(opened_first_any) FROM stats_hourly WHERE campaign_id = 'click-first'"),
                    "it was never opened");
            assertEquals(1, testDb.count("SELECT sum(clicked_first_human) FROM stats_hourly WHERE campaign_id = 'click-first'"));
        }
    }

    private static UUID completed(JobStore jobs, Connection c, String type, Period p) throws Exception {
        UUID id = jobs.enqueue(c, type, 50, p, null).jobId();
        try (Statement s = c.createStatement()) {
            s.execute("UPDATE analytics_jobs SET status = 'completed', finished_at = now() WHERE job_id = '" + id + "'");
        }
        return id;
    }
}
