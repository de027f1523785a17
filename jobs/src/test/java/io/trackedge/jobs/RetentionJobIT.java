package io.trackedge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.jobs.testing.JobsDatabase;
import java.time.LocalDate;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The retention job drops raw partitions past the window (and the default partition's events of those days) and keeps the roll-ups. */
class RetentionJobIT {

    @RegisterExtension
    static final JobsDatabase pg = new JobsDatabase();

    @Test
    void rawEventsPastTheWindowAreDroppedAndRollUpsKept() throws Exception {
        LocalDate old = LocalDate.now(java.time.ZoneOffset.UTC).minusDays(40);
        String partition = "email_events_" + old.toString().replace("-", "");
        try (var c = pg.db.dataSource().getConnection(); var s = c.createStatement()) {
            s.execute("CREATE TABLE " + partition + " PARTITION OF email_event_rows FOR VALUES FROM ('" + old + "') TO ('"
                    + old.plusDays(1) + "')");
            // Days that never had a partition (the database is newer than they are): their events wait in the default one.
            // Either side of the cutoff, the start of the oldest day kept (today less 30, UTC), as the drop reckons it.
            for (String at : new String[] {"- interval '1 second'", "+ interval '1 second'"}) {
                s.execute("INSERT INTO email_event_rows (occurred_at, context_id, tenant_id, event_id, edge_no, event_type) VALUES ("
                        + "((now() AT TIME ZONE 'UTC')::date - 30)::timestamp AT TIME ZONE 'UTC' " + at + ", 1, '"
                        + UUID.randomUUID() + "', '" + UUID.randomUUID() + "', 1, 'open')");
            }
            s.execute("INSERT INTO campaign_analytics (tenant_id, campaign_id, date, sent) VALUES ('" + UUID.randomUUID()
                    + "', 'c1', '" + old + "', 7)");
        }
        JobSettings settings = JobSettings.defaults();
        JobRegistry registry = JobRegistry.builder().add(new RetentionJob(30), 100, Granularity.DAY).build();
        try (JobRunner runner = new JobRunner("r", new JobStore(pg.db.dataSource(), settings), registry, null, null, settings,
                new JobStats())) {
            runner.enqueue(RetentionJob.TYPE, Period.dayOf(LocalDate.now(java.time.ZoneOffset.UTC).minusDays(1)), null);
            runner.enqueue(RetentionJob.TYPE, Period.dayOf(LocalDate.now(java.time.ZoneOffset.UTC).minusDays(2)), UUID.randomUUID());
            assertEquals(2, runner.drain());
        }
        assertEquals(0, pg.count("SELECT count(*) FROM pg_class WHERE relname = '" + partition + "'"));
        assertEquals(1, pg.count("SELECT count(*) FROM pg_class WHERE relname = 'email_events_default'"));
        assertEquals(7, pg.count("SELECT sent FROM campaign_analytics"));
        assertEquals(1, pg.count("SELECT count(*) FROM email_events_dropped_through"
                + " WHERE day = (now() AT TIME ZONE 'UTC')::date - 31"), "the last day dropped recorded (V31)");
        assertEquals(1, pg.count("SELECT count(*) FROM email_events_default"), "the default partition's event before the cutoff deleted");
        assertEquals(1, pg.count("SELECT count(*) FROM email_events_default WHERE occurred_at"
                + " > ((now() AT TIME ZONE 'UTC')::date - 30)::timestamp AT TIME ZONE 'UTC'"), "the one after it kept");
        assertEquals(1, pg.count("SELECT count(*) FROM analytics_jobs WHERE tenant_id IS NULL AND status = 'completed'"));
        assertEquals(1, pg.count("SELECT count(*) FROM analytics_jobs WHERE tenant_id IS NOT NULL AND status = 'failed'"
                + " AND last_error LIKE '%without a tenant%'"), "retention refuses a per-tenant run");
    }
}
