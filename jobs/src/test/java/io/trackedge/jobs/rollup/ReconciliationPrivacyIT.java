package io.trackedge.jobs.rollup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.classify.ClassifierSettings;
import io.trackedge.classify.ListSource;
import io.trackedge.jobs.Period;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.privacy.Erasure;
import io.trackedge.privacy.IpMode;
import io.trackedge.privacy.PrivacyPolicy;
import io.trackedge.privacy.PrivacySettings;
import io.trackedge.privacy.TenantPrivacy;
import io.trackedge.sink.JournalClassifier;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkStats;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.postgres.PostgresSink;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.Recount;
import io.trackedge.sink.testing.Sinks;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The nightly reconciliation recounts daily_analytics from the raw tables, and the privacy settings
 * keep counts without raw rows: an aggregate-only tenant's events are counted and never stored, and
 * an erasure deletes a recipient's rows while the counters keep counting them. A recount of the
 * raw tables alone "repaired" both away (the aggregate-only tenant's rows deleted as extra, the
 * erased recipients' opens and sends subtracted). The recount adds daily_unstored, so it finds
 * nothing to repair, and drift put there by hand is still repaired, on those tenants too.
 */
class ReconciliationPrivacyIT {

    /** Traffic gives tenant i's emails to day i: tenant 1 on yesterday, tenant 2 on the day before. */
    private static final UUID ERASING = Traffic.TENANTS[1];
    private static final UUID AGGREGATE_ONLY = Traffic.TENANTS[2];

    @TempDir
    Path journal;
    private TestDatabase testDb;
    private Database db;

    @AfterEach
    void dropDatabase() throws Exception {
        if (db != null) {
            db.close();
        }
        if (testDb != null) {
            testDb.close();
        }
    }

    @Test
    void reconciliationKeepsAggregateOnlyAndErasedCountsAndStillRepairsDrift() throws Exception {
        testDb = TestDatabase.create();
        db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 4);
        db.migrate();
        Instant now = Instant.now();
        writeThroughTheSink(now);
        assertEquals(0, testDb.count("SELECT count(*) FROM email_events WHERE tenant_id = '" + AGGREGATE_ONLY
                + "' AND event_type NOT IN ('warmup_open', 'warmup_reply')"));
        assertTrue(testDb.count("SELECT sum(emails_sent) FROM daily_analytics WHERE tenant_id = '" + AGGREGATE_ONLY + "'") > 100);

        // erase the recipients of yesterday's opened emails of one tenant
        List<String> erased = testDb.rows("SELECT DISTINCT email_id FROM email_opens WHERE tenant_id = '" + ERASING
                + "' ORDER BY 1 LIMIT 40");
        assertEquals(40, erased.size());
        try (Connection c = testDb.connect()) {
            for (String email : erased) {
                assertTrue(Erasure.erase(c, ERASING, email, "test:reconciliation").total() > 0);
            }
        }
        String anyErased = "tenant_id = '" + ERASING + "' AND email_id IN ('" + String.join("', '", erased) + "')";
        for (String table : List.of("email_events", "email_opens", "email_clicks", "email_human_opens")) {
            assertEquals(0, testDb.count("SELECT count(*) FROM " + table + " WHERE " + anyErased), table);
        }
        List<String> counted = testDb.rows(Recount.FROM_DAILY);

        // every closed day, all tenants and each tenant alone: nothing to repair
        DailyReconciliation reconcile = RollUps.reconciliation();
        List<ReconciliationReport> reports = new ArrayList<>();
        for (int d = 1; d < Traffic.DAYS; d++) {
            Period day = Period.dayOf(Traffic.day(now, d));
            reports.addAll(reconcileCommitted(reconcile, day, null));
            for (UUID t : Traffic.TENANTS) {
                reports.addAll(reconcileCommitted(reconcile, day, t));
            }
        }
        for (ReconciliationReport r : reports) {
            assertTrue(r.clean(), r.toString());
        }
        assertTrue(reports.stream().anyMatch(r -> r.tenantOrNull() == null && r.rowsRecounted() > 0));
        assertEquals(counted, testDb.rows(Recount.FROM_DAILY), "the reconciliation changed counts it should keep");

        // drift on those tenants' rows is still found and repaired, to the same counts
        try (Connection c = testDb.connect(); var s = c.createStatement()) {
            s.executeUpdate("UPDATE daily_analytics SET opens_total = opens_total + 5 WHERE tenant_id IN ('" + AGGREGATE_ONLY
                    + "', '" + ERASING + "') AND date < current_date");
        }
        List<ReconciliationReport> repaired = new ArrayList<>();
        for (int d = 1; d < Traffic.DAYS; d++) {
            repaired.addAll(reconcileCommitted(reconcile, Period.dayOf(Traffic.day(now, d)), null));
        }
        assertTrue(repaired.stream().allMatch(r -> r.drift().getOrDefault("opens_total", 0L) > 0), repaired.toString());
        assertEquals(counted, testDb.rows(Recount.FROM_DAILY));
    }

    private void writeThroughTheSink(Instant now) throws Exception {
        PrivacySettings settings = new PrivacySettings(TenantPrivacy.KEEP_ALL,
                Map.of(AGGREGATE_ONLY, new TenantPrivacy(IpMode.KEEP, true, true)), Duration.ofDays(7));
        PrivacyPolicy policy = new PrivacyPolicy(settings, io.trackedge.privacy.ErasureList.empty(), System::currentTimeMillis);
        try (JournalWriter writer = JournalWriter.open(journal, 4L << 20, 1L << 30, new JournalStats())) {
            new Traffic(writer, 7, now).generate(900);
            writer.flush();
            SinkStats stats = new SinkStats();
            PostgresSink postgres = new PostgresSink(db, UUID.randomUUID(), new PostgresSink.Settings(false, 0),
                    JournalClassifier.of(ClassifierSettings.DEFAULTS, ListSource.snapshot()), policy);
            SinkLoop sink = new SinkLoop(postgres, journal, writer::flushedPosition,
                    Sinks.settings(300, Duration.ofMillis(2), Duration.ofMillis(500)), stats, p -> { });
            sink.start();
            long end = writer.flushedPosition();
            Await.until("the sink writes the traffic", Duration.ofSeconds(120), () -> stats.committedPosition.get() >= end);
            assertTrue(sink.stop(Duration.ofSeconds(10)));
        }
    }

    private List<ReconciliationReport> reconcileCommitted(DailyReconciliation reconcile, Period p, UUID tenant)
            throws Exception {
        try (Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(false);
            List<ReconciliationReport> out = reconcile.reconcile(c, p, tenant);
            c.commit();
            return out;
        }
    }
}
