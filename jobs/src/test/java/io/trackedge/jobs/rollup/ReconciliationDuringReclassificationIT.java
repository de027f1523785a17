package io.trackedge.jobs.rollup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.jobs.Period;
import io.trackedge.sink.postgres.HumanOpens;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A reclassification (a re-score, a sink's correction) that commits after the daily reconciliation
 * recounted the day and before it locked {@code daily_analytics} changes no count of events, so the
 * count under the lock matched; the repair then put the recount's old human and machine split back
 * over the reclassification's. Now the reclassification's move of the epoch makes it recount under
 * the lock, and the counters stay what the raw events say.
 */
class ReconciliationDuringReclassificationIT {

    private static final String TENANT = "11111111-1111-4111-8111-111111111111";

    @Test
    void aReclassificationCommittedDuringTheRecountIsNotUndone() throws Exception {
        LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (TestDatabase testDb = TestDatabase.create();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 2)) {
            db.migrate();
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO email_events (occurred_at, tenant_id, event_id, user_id, edge_no, event_type, campaign_id,"
                        + " mailbox_id, email_id, is_machine) SELECT ('" + day + "'::date + ev.h * interval '1 hour') AT TIME ZONE 'UTC', '"
                        + TENANT + "', ev.id::uuid, '22222222-2222-4222-8222-222222222222', 1, ev.type::email_event_type, 'camp',"
                        + " 'mbox', 'email-1', ev.machine FROM (VALUES"
                        + " (1, 'sent', '00000000-0000-4000-8000-000000000001', false),"
                        + " (2, 'open', '00000000-0000-4000-8000-000000000002', true),"
                        + " (3, 'open', '00000000-0000-4000-8000-000000000003', false)) AS ev(h, type, id, machine)");
            }
            reconcile(testDb, day); // writes the day's counters as the sink would have
            assertEquals(List.of("1|1"), split(testDb, day));

            try (Connection corrector = testDb.connect()) {
                corrector.setAutoCommit(false);
                try (Statement s = corrector.createStatement()) {
                    // Holds daily_analytics as a sink batch does, so the reconciliation's recount runs and its lock waits.
                    s.execute("UPDATE daily_analytics SET opens_total = opens_total WHERE date = '" + day + "'");
                }
                Future<?> reconciling = pool.submit(() -> {
                    reconcile(testDb, day);
                    return null;
                });
                Await.until("the reconciliation recounted and waits for the table lock", Duration.ofSeconds(30),
                        () -> testDb.waitingForLockOn("daily_analytics") == 1);
                // A correction: the person's open was a machine's after all.
                HumanOpens.lockForChange(corrector);
                try (Statement s = corrector.createStatement()) {
                    s.execute("UPDATE email_event_rows SET is_machine = true WHERE event_id = '00000000-0000-4000-8000-000000000003'");
                    s.execute("UPDATE daily_analytics SET opens_human = opens_human - 1, opens_machine = opens_machine + 1"
                            + " WHERE date = '" + day + "'");
                }
                corrector.commit();
                reconciling.get(30, TimeUnit.SECONDS);
            }
            assertEquals(List.of("0|2"), split(testDb, day), "the correction stands: two machine opens, as the raw events say");
            assertEquals(0, testDb.count("SELECT count(*) FROM rollup_reconciliations WHERE date = '" + day
                    + "' AND rows_drifted > 0"), "and no drift was reported for it");
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A reconciliation of several days holds the table lock from its first day on: waiting then for
     * the reclassifications' lock, which a re-score holds while it waits for the table, deadlocked.
     * It reads the epoch once, before any table lock.
     */
    @Test
    void aReconciliationOfSeveralDaysDoesNotDeadlockWithAReScore() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (TestDatabase testDb = TestDatabase.create();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 2)) {
            db.migrate();
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO email_events (occurred_at, tenant_id, event_id, user_id, edge_no, event_type, campaign_id,"
                        + " mailbox_id, email_id) SELECT d::timestamptz, '" + TENANT + "', gen_random_uuid(),"
                        + " '22222222-2222-4222-8222-222222222222', 1, 'open', 'camp', 'mbox', 'email-1'"
                        + " FROM (VALUES ('2026-11-30 10:00+00'), ('2026-12-01 10:00+00')) AS v(d)");
            }
            Period week = Period.parse("week:2026-11-30");
            try (Connection c = testDb.connect()) {
                RollUps.runCommitted(c, RollUps.reconciliation(), week, null);
            }
            try (Connection blocker = testDb.connect(); Connection rescore = testDb.connect()) {
                blocker.setAutoCommit(false);
                try (Statement s = blocker.createStatement()) {
                    s.execute("UPDATE daily_analytics SET opens_total = opens_total");
                }
                Future<?> reconciling = pool.submit(() -> {
                    try (Connection c = testDb.connect()) {
                        RollUps.runCommitted(c, RollUps.reconciliation(), week, null);
                    }
                    return null;
                });
                Await.until("the reconciliation waits for the table", Duration.ofSeconds(30),
                        () -> testDb.waitingForLockOn("daily_analytics") == 1);
                // A re-score: the reclassifications' lock, then the table (Rescore's order), behind the reconciliation.
                rescore.setAutoCommit(false);
                HumanOpens.lockForChange(rescore);
                Future<?> rescoring = pool.submit(() -> {
                    try (Statement s = rescore.createStatement()) {
                        s.execute("LOCK TABLE daily_analytics IN SHARE ROW EXCLUSIVE MODE");
                    }
                    return null;
                });
                Await.until("the re-score waits for the table too", Duration.ofSeconds(30),
                        () -> testDb.waitingForLockOn("daily_analytics") == 2);
                blocker.commit();
                reconciling.get(30, TimeUnit.SECONDS); // a deadlock's victim throws here, or the re-score below
                rescoring.get(30, TimeUnit.SECONDS);
                rescore.commit();
            }
            assertEquals(4, testDb.count("SELECT count(*) FROM rollup_reconciliations WHERE date IN ('2026-11-30', '2026-12-01')"),
                    "both runs reconciled both days");
        } finally {
            pool.shutdownNow();
        }
    }

    private static void reconcile(TestDatabase testDb, LocalDate day) throws Exception {
        try (Connection c = testDb.connect()) {
            RollUps.runCommitted(c, RollUps.reconciliation(), Period.dayOf(day), null);
        }
    }

    private static List<String> split(TestDatabase testDb, LocalDate day) throws Exception {
        return testDb.rows("SELECT opens_human || '|' || opens_machine FROM daily_analytics WHERE date = '" + day + "'");
    }
}
