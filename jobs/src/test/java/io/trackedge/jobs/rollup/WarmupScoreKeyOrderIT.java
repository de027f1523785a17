package io.trackedge.jobs.rollup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.trackedge.jobs.Period;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The warm-up roll-up writes each day's reputation scores into {@code warmup_daily_stats}, whose
 * rows the sinks' batches upsert in key order (tenant, mailbox, day). It takes them in that order too.
 * Here a batch (a transaction doing the sink's upsert) holds the middle one of three mailboxes, whose
 * rows lie in {@code warmup_daily_stats} last, middle, first; the job starts and waits there; the
 * batch then upserts the last mailbox and commits. In key order the job holds only the first row by
 * then and the batch goes through; in the table's order the job would hold the last row, and
 * PostgreSQL would break the deadlock after {@code deadlock_timeout} by failing one of the two.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class WarmupScoreKeyOrderIT {

    private static final UUID TENANT = UUID.fromString("61616161-6161-4616-8616-616161616161");
    private static final UUID USER = UUID.fromString("33333333-3333-4333-8333-333333333333");
    /**
     * Written in this order, so that a scan of {@code warmup_daily_stats} meets them last, middle,
     * first: the UPDATE ... FROM before the locking SELECT took them so here, and the test failed with
     * {@code deadlock detected} (the join's order is the planner's, so that is this plan's).
     */
    private static final List<String> LAST_MIDDLE_FIRST = List.of("box-z", "box-m", "box-a");
    /** One warm-up open and no reply: 100 less the whole warm-up penalty of 20 ({@link HealthScore}). */
    private static final int SCORE = 80;

    @Test
    void theJobAndABatchHoldingOneOfItsMailboxesWaitOnEachOtherRatherThanDeadlock() throws Exception {
        LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(1);
        try (TestDatabase db = TestDatabase.migrated(); Connection batch = db.connect(); Connection job = db.connect();
             ExecutorService thread = Executors.newSingleThreadExecutor()) {
            try (Statement s = batch.createStatement()) {
                for (String box : LAST_MIDDLE_FIRST) {
                    s.execute("INSERT INTO email_events (occurred_at, tenant_id, event_id, user_id, edge_no, event_type, mailbox_id)"
                            + " VALUES ('" + day + "T12:00:00Z', '" + TENANT + "', gen_random_uuid(), '" + USER + "', 1, 'warmup_open', '"
                            + box + "')");
                    s.execute(upsert(box, day)); // the sink's counter of that open, committed
                }
                s.execute("SET lock_timeout = '20s'"); // a deadlock is found after 1 s; this wait only bounds a hang
            }
            batch.setAutoCommit(false);
            run(batch, upsert("box-m", day));
            int batchPid = TestDatabase.backendPid(batch);

            CompletableFuture<Void> recount = CompletableFuture.runAsync(() -> {
                try {
                    RollUps.runCommitted(job, new WarmupRollUp(), Period.dayOf(day), null);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, thread);
            Await.until("the job waiting for the batch's row", Duration.ofSeconds(30), () -> recount.isDone()
                    || db.waitingOn(batchPid) == 1); // only the job can
            if (recount.isDone()) {
                recount.get(); // ended before it waited: throws what it failed with
                throw new AssertionError("the job ended before it waited for the batch");
            }
            run(batch, upsert("box-z", day));
            assertFalse(recount.isDone(), "the job still waits for the middle mailbox");
            batch.commit();
            recount.get(30, TimeUnit.SECONDS);

            assertEquals(List.of("box-a 1 " + SCORE, "box-m 2 " + SCORE, "box-z 2 " + SCORE), db.rows("SELECT mailbox_id || ' ' "
                    + "|| opens_received || ' ' || reputation_score FROM warmup_daily_stats ORDER BY mailbox_id"),
                    "every score written, and the batch's counts kept");
        }
    }

    private static void run(Connection c, String sql) throws Exception {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** The sink's upsert of one warm-up open ({@code IngestRows}). */
    private static String upsert(String mailbox, LocalDate day) {
        return "INSERT INTO warmup_daily_stats (tenant_id, user_id, mailbox_id, date, opens_received) VALUES ('" + TENANT + "', '"
                + USER + "', '" + mailbox + "', '" + day + "', 1) ON CONFLICT (tenant_id, mailbox_id, date) DO UPDATE"
                + " SET opens_received = warmup_daily_stats.opens_received + excluded.opens_received";
    }

}
