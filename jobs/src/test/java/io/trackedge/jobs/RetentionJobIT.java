package io.trackedge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.jobs.testing.JobsDatabase;
import io.trackedge.db.LockWait;
import io.trackedge.sink.postgres.PartitionMaintainer;
import java.time.LocalDate;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The retention job drops raw partitions past the window (and the default partition's events of those days) and keeps the
 * roll-ups; it deletes the set-aside events past the window too, as the sinks' housekeeping does where no jobs run.
 */
class RetentionJobIT {

    @RegisterExtension
    static final JobsDatabase pg = new JobsDatabase();

    @BeforeEach
    void reset() throws Exception {
        pg.reset();
    }

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
        JobRegistry registry = JobRegistry.builder().add(new RetentionJob(30, pg.db.dataSource()), 100, Granularity.DAY).build();
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

    /**
     * A set-aside event is kept retention-days after it was set aside, and a replayed one as long after its
     * replay; then it goes, whatever it was set aside for, decoded or not: bad_events holds each event's
     * journal record (email id, URL, address as the tenant keeps it), which used to stay forever. Deleted
     * a few rows per transaction (7 here), by the job and by a sink's hourly housekeeping.
     */
    @Test
    void setAsideEventsPastTheWindowAreDeletedAFewAtATime() throws Exception {
        // Not the other test's 30: a run marks the last day it dropped (V31), and a later run of the same
        // window drops nothing, not even a partition the other test makes after this one.
        int days = 60;
        try (var c = pg.db.dataSource().getConnection(); var s = c.createStatement()) {
            String insert = "INSERT INTO bad_events (sink, edge_node, journal_position, tenant_id, record, error, error_code,"
                    + " set_aside_at, replayed_at) SELECT 'postgres', '" + UUID.randomUUID() + "', g, %s, '\\x00'::bytea, 'test', %s,"
                    + " now() - interval '%d days', %s FROM generate_series(%d, %d) g";
            String tenant = "'" + UUID.randomUUID() + "'";
            s.execute(insert.formatted(tenant, "'retention'", days + 1, "NULL", 1, 20)); // set aside past the window
            s.execute(insert.formatted(tenant, "'23514'", days + 1, "now() - interval '" + (days + 1) + " days'", 21, 21));
            s.execute(insert.formatted(tenant, "'23514'", days + 1, "now() - interval '5 days'", 22, 22)); // replayed lately
            s.execute(insert.formatted(tenant, "'retention'", days - 1, "NULL", 23, 23)); // inside the window
            s.execute(insert.formatted(tenant, "'23514'", days - 1, "now() - interval '1 day'", 24, 24));
            s.execute(insert.formatted("NULL", "'decode'", days + 1, "NULL", 25, 25)); // no tenant: did not decode
        }
        JobSettings settings = JobSettings.defaults();
        JobRegistry registry = JobRegistry.builder()
                .add(new RetentionJob(days, pg.db.dataSource(), LockWait.DEFAULT, 7), 100, Granularity.DAY).build();
        try (JobRunner runner = new JobRunner("r", new JobStore(pg.db.dataSource(), settings), registry, null, null, settings,
                new JobStats())) {
            runner.enqueue(RetentionJob.TYPE, Period.dayOf(LocalDate.now(java.time.ZoneOffset.UTC).minusDays(1)), null);
            assertEquals(1, runner.drain());
        }
        assertEquals(List.of("22", "23", "24"), pg.test.rows("SELECT journal_position FROM bad_events ORDER BY 1"),
                "kept: replayed within the window, set aside within it");
        assertEquals(1, pg.count("SELECT count(*) FROM analytics_jobs WHERE status = 'completed'"));

        // Where no jobs run, the sink's hourly housekeeping does it.
        try (var c = pg.db.dataSource().getConnection(); var s = c.createStatement()) {
            s.execute("INSERT INTO bad_events (sink, edge_node, journal_position, record, error, set_aside_at) VALUES ('posthog', '"
                    + UUID.randomUUID() + "', 26, '\\x00'::bytea, 'test', now() - interval '" + (days + 1) + " days')");
        }
        new PartitionMaintainer(pg.db, days).run();
        assertEquals(List.of("22", "23", "24"), pg.test.rows("SELECT journal_position FROM bad_events ORDER BY 1"));
    }
}
