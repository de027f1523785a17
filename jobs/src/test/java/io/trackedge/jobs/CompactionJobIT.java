package io.trackedge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.jobs.testing.JobsDatabase;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The compaction job rebuilds a closed day's email_events indexes packed, drops what an interrupted
 * rebuild left, keeps every row, skips a day without a partition, and refuses a per-tenant run.
 */
class CompactionJobIT {

    @RegisterExtension
    static final JobsDatabase pg = new JobsDatabase();

    @Test
    void aClosedDaysIndexesAreRebuiltPackedWithEveryRowKept() throws Exception {
        LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(1);
        String partition = "email_events_" + day.toString().replace("-", "");
        try (var c = pg.db.dataSource().getConnection(); var s = c.createStatement()) {
            // As the sink leaves a day: 300 tenants' events interleaved, so each tenant's keys land mid-index
            // and the (tenant_id, email_id) index's leaves split half full.
            s.execute("INSERT INTO email_events (occurred_at, tenant_id, event_id, user_id, edge_no, event_type, email_id)"
                    + " SELECT '" + day + "'::timestamptz + i * interval '100 ms',"
                    + " ('00000000-0000-4000-8000-' || lpad((i % 300)::text, 12, '0'))::uuid, gen_random_uuid(), gen_random_uuid(), 1,"
                    + " 'open', 'email-' || (i / 3) FROM generate_series(1, 100000) i");
            // What an interrupted REINDEX CONCURRENTLY leaves: an invalid index named *_ccnew.
            assertThrows(SQLException.class, () -> s.execute("CREATE UNIQUE INDEX CONCURRENTLY " + partition + "_email_ccnew ON "
                    + partition + " (tenant_id)"));
        }
        assertEquals(1, pg.count("SELECT count(*) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
                + " WHERE i.relname = '" + partition + "_email_ccnew' AND NOT x.indisvalid"));
        long before = indexBytes(partition);
        List<String> keys = pg.test.rows("SELECT count(*) || ' ' || count(DISTINCT event_id) || ' ' || sum(hashtext(email_id)) FROM " + partition);

        JobSettings settings = JobSettings.defaults();
        JobRegistry registry = JobRegistry.builder().add(new CompactionJob(pg.db.dataSource()), 110, Granularity.DAY).build();
        try (JobRunner runner = new JobRunner("r", new JobStore(pg.db.dataSource(), settings), registry, null, null, settings,
                new JobStats())) {
            runner.enqueue(CompactionJob.TYPE, Period.dayOf(day), null);
            runner.enqueue(CompactionJob.TYPE, Period.dayOf(day.minusDays(40)), null); // no partition: nothing to do
            runner.enqueue(CompactionJob.TYPE, Period.dayOf(day), UUID.randomUUID());
            assertEquals(3, runner.drain());
        }
        long after = indexBytes(partition);
        assertTrue(after < before * 0.8, "indexes " + before + " -> " + after + " bytes");
        assertEquals(keys, pg.test.rows("SELECT count(*) || ' ' || count(DISTINCT event_id) || ' ' || sum(hashtext(email_id)) FROM " + partition));
        assertEquals(0, pg.count("SELECT count(*) FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname = '"
                + partition + "' AND NOT x.indisvalid"), "no invalid index left");
        assertEquals(List.of("(tenant_id, email_id)", "brin (occurred_at) WITH (pages_per_range='32')"),
                pg.test.rows("SELECT regexp_replace(pg_get_indexdef(x.indexrelid), '.* USING (btree )?', '') FROM pg_index x"
                        + " JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname = '" + partition + "' ORDER BY 1"),
                "the partition's own indexes, rebuilt");
        assertEquals(2, pg.count("SELECT count(*) FROM analytics_jobs WHERE tenant_id IS NULL AND status = 'completed'"));
        assertEquals(1, pg.count("SELECT count(*) FROM analytics_jobs WHERE tenant_id IS NOT NULL AND status = 'failed'"
                + " AND last_error LIKE '%without a tenant%'"), "compaction refuses a per-tenant run");
    }

    private static long indexBytes(String partition) throws Exception {
        return pg.count("SELECT pg_indexes_size('" + partition + "')");
    }
}
