package io.trackedge.jobs.rollup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.jobs.Period;
import io.trackedge.jobs.RollUp;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.sink.SinkStats;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.Recount;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of emails of three tenants ({@link Traffic}) journaled as the edge journals them and
 * written by the real Postgres sink; then every roll-up over the three days, and every roll-up
 * table compared with an independent recount of email_events ({@link RollUpRecount}), column by
 * column. Re-runs, and two runners at once (all tenants against all tenants, and against one
 * tenant), leave the same rows. The reconciliation finds no drift in what the sink wrote, and
 * finds and repairs drift put there by hand.
 */
class RollUpRecountIT {

    private static final int EMAILS = 3000;

    private static TestDatabase testDb;
    private static Database db;
    @TempDir
    static Path journals;
    private static Instant now;
    private static long events;

    @BeforeAll
    static void writeTrafficThroughTheSinkAndRollUp() throws Exception {
        testDb = TestDatabase.create();
        db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 4);
        db.migrate();
        Path journalDir = Files.createDirectory(journals.resolve("first"));
        now = Instant.now();
        try (JournalWriter writer = JournalWriter.open(journalDir, 4L << 20, 1L << 30, new JournalStats())) {
            events = new Traffic(writer, 12, now).generate(EMAILS);
            writer.flush();
            SinkStats stats = new SinkStats();
            io.trackedge.sink.SinkLoop sink = io.trackedge.sink.testing.Sinks.postgres(db, journalDir, writer::flushedPosition,
                    UUID.randomUUID(), 500, Duration.ofMillis(2), Duration.ofMillis(500), stats);
            sink.start();
            long end = writer.flushedPosition();
            io.trackedge.sink.testing.Await.until("the sink writes the traffic", Duration.ofSeconds(120),
                    () -> stats.committedPosition.get() >= end);
            assertEquals(end, stats.committedPosition.get(), "sink did not catch up: " + sink.health().lastError());
            assertTrue(sink.stop(Duration.ofSeconds(10)));
        }
        assertEquals(events, testDb.count("SELECT count(*) FROM email_events"));
        runAll(null);
    }

    @AfterAll
    static void dropDatabase() throws Exception {
        if (db != null) {
            db.close();
        }
        if (testDb != null) {
            testDb.close();
        }
    }

    private static List<Period> days() {
        List<Period> out = new ArrayList<>();
        for (int d = Traffic.DAYS - 1; d >= 0; d--) {
            out.add(Period.dayOf(Traffic.day(now, d)));
        }
        return out;
    }

    private static void runAll(UUID tenant) throws Exception {
        try (Connection c = db.dataSource().getConnection()) {
            for (RollUp r : RollUps.all()) {
                for (Period p : days()) {
                    RollUps.runCommitted(c, r, p, tenant);
                }
            }
        }
    }

    private static Map<String, List<String>> snapshot() throws Exception {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (RollUpRecount.Pair p : RollUpRecount.ALL) {
            out.put(p.table(), testDb.rows(p.fromTable()));
        }
        out.put("daily_analytics", testDb.rows(Recount.FROM_DAILY));
        return out;
    }

    @Test
    void everyRollUpTableEqualsAnIndependentRecountOfTheRawEvents() throws Exception {
        assertTrue(events > 3 * EMAILS, "traffic of " + events + " events");
        List<String> problems = RollUpRecount.differences(testDb);
        assertTrue(problems.isEmpty(), problems.size() + " differences: " + problems.subList(0, Math.min(20, problems.size())));
        for (RollUpRecount.Pair p : RollUpRecount.ALL) {
            assertEquals(testDb.rows(p.recount()), testDb.rows(p.fromTable()), p.table());
        }
        // each kind of traffic reached the tables it should
        assertEquals(3, testDb.count("SELECT count(DISTINCT tenant_id) FROM campaign_analytics"));
        assertEquals(Traffic.DAYS, testDb.count("SELECT count(DISTINCT date) FROM lead_analytics"));
        for (String nonZero : List.of("opens_machine", "clicks_machine", "opened_machine", "clicked_machine", "bounces_hard",
                "bounces_soft", "replied", "unsubscribed", "spam_complaints", "completed_leads")) {
            assertTrue(testDb.count("SELECT sum(" + nonZero + ") FROM campaign_analytics") > 0, nonZero);
        }
        assertTrue(testDb.count("SELECT count(*) FROM warmup_analytics WHERE health_score < 100") > 0);
        assertTrue(testDb.count("SELECT count(*) FROM mailbox_analytics WHERE health_score < 100") > 0);
        assertTrue(testDb.count("SELECT count(*) FROM warmup_analytics WHERE progress_percentage > 3") > 0);
        assertEquals(testDb.count("SELECT count(*) FROM warmup_daily_stats s JOIN warmup_analytics a USING (tenant_id, mailbox_id, date)"),
                testDb.count("SELECT count(*) FROM warmup_daily_stats s JOIN warmup_analytics a USING (tenant_id, mailbox_id, date)"
                        + " WHERE s.reputation_score = a.health_score"));
    }

    /**
     * A lead's status counts what the person did: a security scanner's click or a prefetched pixel
     * alone leaves it delivered (or sent). Before, any tracked open or click moved it, so a lead at a
     * company whose scanner follows every link read "clicked".
     */
    @Test
    void aLeadsStatusIsNotMovedByMachineOpensOrClicks() throws Exception {
        assertTrue(testDb.count("SELECT count(*) FROM lead_analytics WHERE opened_machine > 0 AND opened_human = 0"
                + " AND spam_complaints + unsubscribed + bounces_hard + replied = 0") > 0, "the traffic has leads only machines opened");
        assertEquals(0, testDb.count("SELECT count(*) FROM lead_analytics WHERE status IN ('clicked', 'opened') AND opened_human = 0"));
        assertEquals(0, testDb.count("SELECT count(*) FROM lead_analytics WHERE status = 'clicked' AND clicked_human = 0"));
    }

    @Test
    void runningEveryRollUpAgainLeavesTheSameRows() throws Exception {
        Map<String, List<String>> before = snapshot();
        runAll(null);
        assertEquals(before, snapshot());
        // per tenant, one tenant after another: the same rows again
        for (UUID t : Traffic.TENANTS) {
            runAll(t);
        }
        assertEquals(before, snapshot());
    }

    private static final List<String> HOURLY_TABLES = List.of("stats_hourly", "link_clicks_hourly", "automation_hourly",
            "automation_hourly_tenant");

    private static Map<String, List<String>> hourlyTables() throws Exception {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String t : HOURLY_TABLES) {
            out.put(t, testDb.rows("SELECT r::text FROM " + t + " r ORDER BY 1"));
        }
        return out;
    }

    private static List<RollUp> perHour() {
        return RollUps.all().stream().filter(RollUp::rowsPerHour).toList();
    }

    /**
     * An hour's job recounts its hour alone (sql/V28), and a day's 24 hour jobs, in any order, leave what
     * its day job leaves: an email's first open, click or read is its first ever, before the hour too.
     */
    @Test
    void theHourJobsOfEachDayInAnyOrderLeaveWhatItsDayJobLeaves() throws Exception {
        assertEquals(3, perHour().size(), "stats_hourly, link_clicks_hourly, automation_hourly");
        Map<String, List<String>> byDay = hourlyTables();
        assertTrue(byDay.get("stats_hourly").size() > 24, "hours of traffic: " + byDay.get("stats_hourly").size());
        try (Connection c = db.dataSource().getConnection(); var s = c.createStatement()) {
            for (String t : HOURLY_TABLES) {
                s.execute("DELETE FROM " + t);
            }
            for (Period day : days()) {
                for (int h = 23; h >= 0; h--) { // latest first: no hour leans on an earlier hour's rows
                    for (RollUp r : perHour()) {
                        RollUps.runCommitted(c, r, Period.hourOf(day.start().plus(Duration.ofHours(h))), null);
                    }
                }
            }
        }
        assertEquals(byDay, hourlyTables());
    }

    @Test
    void anHourJobTouchesNoOtherHour() throws Exception {
        Map<String, List<String>> before = hourlyTables();
        Instant hour = Instant.parse(testDb.rows("SELECT to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:00:00Z')"
                + " FROM stats_hourly GROUP BY hour ORDER BY count(*) DESC, hour LIMIT 1").get(0));
        try (Connection c = db.dataSource().getConnection(); var s = c.createStatement()) {
            // every other hour's rows marked, this hour's rows deleted
            s.execute("UPDATE stats_hourly SET sent = sent + 1000 WHERE hour <> '" + hour + "'");
            s.execute("DELETE FROM stats_hourly WHERE hour = '" + hour + "'");
            for (RollUp r : perHour()) {
                RollUps.runCommitted(c, r, Period.hourOf(hour), null);
            }
            assertEquals(before.get("stats_hourly").size(), testDb.count("SELECT count(*) FROM stats_hourly"));
            assertEquals(0, testDb.count("SELECT count(*) FROM stats_hourly WHERE hour <> '" + hour + "' AND sent < 1000"),
                    "the other hours are left as they were");
            s.execute("UPDATE stats_hourly SET sent = sent - 1000 WHERE hour <> '" + hour + "'");
        }
        assertEquals(before, hourlyTables(), "the hour recounted as its day job had counted it");
    }

    @Test
    void twoRunnersAtOnceLeaveTheSameRows() throws Exception {
        Map<String, List<String>> before = snapshot();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (RollUp r : RollUps.all()) {
                for (Period p : days()) {
                    race(pool, r, p, null, null);
                    race(pool, r, p, null, Traffic.TENANTS[1]);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(before, snapshot());
    }

    /** Runs {@code r} for {@code p} on two connections released together by a barrier. */
    private static void race(ExecutorService pool, RollUp r, Period p, UUID tenantA, UUID tenantB) throws Exception {
        CyclicBarrier start = new CyclicBarrier(2);
        List<Future<?>> runs = new ArrayList<>();
        for (UUID t : new UUID[] {tenantA, tenantB}) {
            runs.add(pool.submit(() -> {
                try (Connection c = db.dataSource().getConnection()) {
                    start.await();
                    RollUps.runCommitted(c, r, p, t);
                }
                return null;
            }));
        }
        for (Future<?> f : runs) {
            f.get();
        }
    }

    @Test
    void reconciliationFindsTheSinkCountersExactAndRepairsDriftPutThere() throws Exception {
        LocalDate day = Traffic.day(now, 1);
        DailyReconciliation reconcile = RollUps.reconciliation();
        List<ReconciliationReport> clean = reconcileCommitted(reconcile, Period.dayOf(day), null);
        assertTrue(clean.get(0).clean(), clean.toString());
        assertTrue(clean.get(0).rowsRecounted() > 0);
        List<String> good = testDb.rows(Recount.FROM_DAILY);

        // drift as a doubled batch, a lost batch and a stray row would leave it
        String[] victim = testDb.rows("SELECT ctid, emails_sent, clicks_total, opens_total, opens_human FROM daily_analytics WHERE date = '" + day
                + "' AND emails_sent > 0 AND tenant_id = '" + Traffic.TENANTS[1] + "' LIMIT 1").get(0).split("\\|");
        try (Connection c = testDb.connect(); var s = c.createStatement()) {
            s.executeUpdate("UPDATE daily_analytics SET opens_total = opens_total + 5, opens_human = opens_human + 5 "
                    + "WHERE date = '" + day + "' AND tenant_id = '" + Traffic.TENANTS[0] + "'");
            s.executeUpdate("DELETE FROM daily_analytics WHERE ctid = '" + victim[0] + "'");
            s.executeUpdate("INSERT INTO daily_analytics (tenant_id, user_id, campaign_id, mailbox_id, date, clicks_total) "
                    + "VALUES ('" + Traffic.TENANTS[2] + "', gen_random_uuid(), 'ghost', NULL, '" + day + "', 3)");
        }
        long drifted = testDb.count("SELECT count(*) FROM daily_analytics WHERE date = '" + day + "' AND tenant_id = '"
                + Traffic.TENANTS[0] + "'");
        ReconciliationReport r = reconcileCommitted(reconcile, Period.dayOf(day), null).get(0);
        assertEquals(drifted, r.rowsDrifted());
        assertEquals(1, r.rowsMissing());
        assertEquals(1, r.rowsExtra());
        // the drift adds up the rows changed by hand and, negative, the deleted row's counts
        assertEquals(5 * drifted - Long.parseLong(victim[3]), r.drift().getOrDefault("opens_total", 0L));
        assertEquals(5 * drifted - Long.parseLong(victim[4]), r.drift().getOrDefault("opens_human", 0L));
        assertEquals(-Long.parseLong(victim[1]), r.drift().get("emails_sent"));
        assertEquals(3 - Long.parseLong(victim[2]), r.drift().getOrDefault("clicks_total", 0L));
        assertEquals(good, testDb.rows(Recount.FROM_DAILY));
        List<List<String>> sinkRecount = Recount.compare(testDb);
        assertEquals(sinkRecount.get(1), sinkRecount.get(0));
        // every run leaves its report; the other tests run the reconciliation too, always clean
        assertEquals(1, testDb.count("SELECT count(*) FROM rollup_reconciliations WHERE rows_drifted + rows_missing + rows_extra > 0"));
        assertEquals(1, testDb.count("SELECT count(*) FROM rollup_reconciliations WHERE date = '" + day
                + "' AND rows_extra = 1 AND rows_missing = 1 AND rows_drifted = " + drifted));
        // and once repaired it is clean
        assertTrue(reconcileCommitted(reconcile, Period.dayOf(day), null).get(0).clean());
    }

    @Test
    void reconciliationRacingTheSinkOnClosedDaysLosesNoIncrement() throws Exception {
        // late traffic for the closed days (and today) journaled by a second edge node, written in
        // small batches while the reconciliation runs over and over on the closed days
        Path dir = Files.createDirectory(journals.resolve("late"));
        List<ReconciliationReport> reports = new ArrayList<>();
        try (JournalWriter writer = JournalWriter.open(dir, 4L << 20, 1L << 30, new JournalStats())) {
            events += new Traffic(writer, 99, now).generate(600);
            writer.flush();
            SinkStats stats = new SinkStats();
            io.trackedge.sink.SinkLoop sink = io.trackedge.sink.testing.Sinks.postgres(db, dir, writer::flushedPosition,
                    UUID.randomUUID(), 40, Duration.ofMillis(1), Duration.ofMillis(500), stats);
            long end = writer.flushedPosition();
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                sink.start();
                Future<?> reconciling = pool.submit(() -> {
                    DailyReconciliation reconcile = RollUps.reconciliation();
                    while (stats.committedPosition.get() < end) {
                        for (int d = 1; d < Traffic.DAYS; d++) {
                            reports.addAll(reconcileCommitted(reconcile, Period.dayOf(Traffic.day(now, d)), null));
                        }
                    }
                    return null;
                });
                // within, not until: a timeout's message should carry the sink's last error
                boolean caughtUp = io.trackedge.sink.testing.Await.within(Duration.ofSeconds(120), () -> stats.committedPosition.get() >= end);
                assertTrue(caughtUp, "sink did not catch up in 120 s: " + sink.health().lastError());
                assertEquals(end, stats.committedPosition.get(), "committed up to the end, not beyond");
                reconciling.get();
                assertTrue(sink.stop(Duration.ofSeconds(10)));
            } finally {
                pool.shutdownNow();
            }
        }
        assertEquals(events, testDb.count("SELECT count(*) FROM email_events"));
        assertTrue(reports.size() >= 2, "reconciliations during the sink's run: " + reports.size());
        // every reconciliation saw the sink's committed counters equal to its committed events...
        for (ReconciliationReport r : reports) {
            assertTrue(r.clean(), r.toString());
        }
        // ...and none overwrote an increment: daily_analytics equals the raw tables with no repair after the sink
        List<List<String>> daily = Recount.compare(testDb);
        assertEquals(daily.get(1), daily.get(0));
        runAll(null); // the roll-up tables follow the new events, for the other tests
        List<String> problems = RollUpRecount.differences(testDb);
        assertTrue(problems.isEmpty(), problems.toString());
    }

    @Test
    void aRollUpRefusesToRunOutsideAReadCommittedTransaction() throws Exception {
        RollUp campaigns = RollUps.all().get(0);
        Period day = Period.dayOf(Traffic.day(now, 1));
        try (Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(true);
            IllegalStateException autocommit = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> campaigns.run(c, day, null));
            assertTrue(autocommit.getMessage().contains("autocommit"), autocommit.getMessage());
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            IllegalStateException isolation = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> campaigns.run(c, day, null));
            assertTrue(isolation.getMessage().contains("READ COMMITTED"), isolation.getMessage());
            c.rollback();
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            c.setAutoCommit(true);
        }
    }

    private static List<ReconciliationReport> reconcileCommitted(DailyReconciliation reconcile, Period p, UUID tenant)
            throws Exception {
        try (Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(false);
            List<ReconciliationReport> out = reconcile.reconcile(c, p, tenant);
            c.commit();
            return out;
        }
    }
}
