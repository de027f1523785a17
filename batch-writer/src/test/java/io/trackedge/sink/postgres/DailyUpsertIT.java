package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The daily counters as the sink's batches add to them: the sums are right, and because the tables
 * leave room on each page (sql/V19), a batch's updates are heap-only (no index entries, no bloat).
 */
class DailyUpsertIT {

    private static final int KEYS = 300;
    private static final int BATCHES = 12;

    @Test
    void batchesAddToTheSameKeysInPlace() throws Exception {
        try (TestDatabase testDb = TestDatabase.create()) {
            try (Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 1)) {
                db.migrate();
            }
            List<UUID> tenants = new ArrayList<>();
            for (int i = 0; i < KEYS; i++) {
                tenants.add(UUID.randomUUID());
            }
            UUID user = UUID.randomUUID();
            LocalDate day = LocalDate.of(2026, 12, 1);
            DailyUpsert upsert = new DailyUpsert();
            DailyFold fold = new DailyFold();
            try (Connection c = testDb.connect()) {
                c.setAutoCommit(false);
                long lastXid = 0;
                for (int b = 0; b < BATCHES; b++) {
                    // A page is pruned of the last batch's old versions only once every transaction that
                    // began before that batch committed has ended, in any database of the cluster: a
                    // writer elsewhere on a shared server (another test run, a benchmark) would
                    // otherwise turn this batch's updates into ones with new index entries.
                    long xid = lastXid;
                    Await.until("transactions older than the last batch to end", Duration.ofSeconds(30),
                            () -> testDb.count("SELECT txid_snapshot_xmin(txid_current_snapshot())"), xmin -> xmin > xid);
                    fold.clear();
                    for (int i = 0; i < KEYS; i++) {
                        fold.add(tenants.get(i), user, "campaign-" + (i % 7), "mailbox-" + (i % 3), day, DailyCounter.OPENS_TOTAL, 2);
                        fold.add(tenants.get(i), user, "campaign-" + (i % 7), "mailbox-" + (i % 3), day, DailyCounter.CLICKS_HUMAN, 1);
                    }
                    upsert.write(c, fold);
                    try (var st = c.createStatement(); var rs = st.executeQuery("SELECT txid_current()")) {
                        rs.next();
                        lastXid = rs.getLong(1);
                    }
                    c.commit();
                }
            }
            assertEquals(KEYS, testDb.count("SELECT count(*) FROM daily_analytics"));
            assertEquals((long) KEYS * BATCHES * 2, testDb.count("SELECT sum(opens_total) FROM daily_analytics"));
            assertEquals((long) KEYS * BATCHES, testDb.count("SELECT sum(clicks_human) FROM daily_analytics"));

            long updates = (long) KEYS * (BATCHES - 1);
            // the writer's backend reports its statistics on its own schedule: wait for all of them
            Await.until("the updates in pg_stat_user_tables", Duration.ofSeconds(30),
                    () -> testDb.count("SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'daily_analytics'"),
                    n -> n >= updates);
            long hot = testDb.count("SELECT n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'daily_analytics'");
            assertTrue(hot >= updates * 95 / 100, hot + " of " + updates + " updates were heap-only");
            for (String table : List.of("daily_analytics", "daily_unstored", "warmup_daily_stats")) {
                assertEquals(List.of("fillfactor=50"), testDb.rows("SELECT unnest(reloptions) FROM pg_class WHERE relname = '" + table + "'"), table);
            }
        }
    }
}
