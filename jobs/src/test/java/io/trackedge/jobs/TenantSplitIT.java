package io.trackedge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.jobs.rollup.RollUps;
import io.trackedge.jobs.testing.JobsDatabase;
import io.trackedge.sink.testing.Await;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An every-tenant roll-up that one tenant's row fails on (here a constraint an operator added to
 * {@code campaign_analytics}, refusing tenant B's row: SQLState 23514, as V32's rate overflow was
 * 22003) is split into a job per tenant: tenant A's numbers land, B's job fails alone and, once the
 * cause is gone, a retry brings B's too. Before, the every-tenant job failed every attempt and A's
 * numbers never landed.
 */
class TenantSplitIT {

    private static final UUID A = UUID.fromString("0193a6f0-0000-7000-8000-00000000000a");
    private static final UUID B = UUID.fromString("0193a6f0-0000-7000-8000-00000000000b");
    private static final String TYPE = "campaign_analytics";

    @RegisterExtension
    static final JobsDatabase pg = new JobsDatabase();

    @BeforeEach
    void empty() throws Exception {
        pg.reset();
        try (Connection c = pg.db.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("TRUNCATE email_event_rows, campaign_analytics");
            s.execute("ALTER TABLE campaign_analytics DROP CONSTRAINT IF EXISTS no_tenant_b");
            s.execute("ALTER TABLE campaign_analytics DROP CONSTRAINT IF EXISTS no_one");
        }
    }

    @Test
    void oneTenantsBadRowNoLongerStopsTheOthersNumbers() throws Exception {
        LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(1);
        try (Connection c = pg.db.dataSource().getConnection(); Statement s = c.createStatement()) {
            for (UUID tenant : new UUID[] {A, B}) {
                for (int i = 0; i < 3; i++) {
                    s.execute("INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, email_id, campaign_id,"
                            + " mailbox_id, edge_no) VALUES (gen_random_uuid(), 'sent', '" + day + "T12:00:0" + i + "Z', '" + tenant
                            + "', '" + tenant + "', 'e-" + i + "', 'camp-1', 'mbox-1', 1)");
                }
            }
            s.execute("ALTER TABLE campaign_analytics ADD CONSTRAINT no_tenant_b CHECK (tenant_id <> '" + B + "')");
        }
        RollUp campaigns = RollUps.all().stream().filter(r -> r.jobType().equals(TYPE)).findFirst().orElseThrow();
        JobSettings settings = JobSettings.defaults().withRetries(Duration.ofMillis(200), Duration.ofMillis(400), 2)
                .withSweepInterval(Duration.ofMillis(100)).withMaxIdle(Duration.ofMillis(20));
        JobStats stats = new JobStats();
        JobStore store = new JobStore(pg.db.dataSource(), settings);
        JobRunner runner = new JobRunner("r", store, JobRegistry.builder().add(campaigns, 100, Granularity.DAY).build(),
                null, null, settings, stats);
        runner.enqueue(TYPE, Period.dayOf(day), null);

        try (RunnerThread thread = new RunnerThread(runner, settings).start()) {
            Await.until("tenant B's job dead after its attempts", Duration.ofSeconds(30),
                    () -> pg.count("SELECT count(*) FROM analytics_jobs WHERE tenant_id = '" + B + "' AND status = 'dead'") == 1);
            assertEquals(List.of(A + " 3"), pg.test.rows("SELECT tenant_id || ' ' || sent FROM campaign_analytics"),
                    "tenant A's numbers landed");
            assertEquals(List.of("completed"), pg.test.rows("SELECT status FROM analytics_jobs WHERE tenant_id = '" + A + "'"));
            String note = pg.test.rows("SELECT status || ': ' || last_error FROM analytics_jobs WHERE tenant_id IS NULL").get(0);
            assertTrue(note.startsWith("completed: split into 2 tenant jobs after a data error") && note.contains("no_tenant_b"), note);
            String bError = pg.test.rows("SELECT last_error FROM analytics_jobs WHERE tenant_id = '" + B + "'").get(0);
            assertTrue(bError.contains("no_tenant_b"), bError);
            assertEquals(1, stats.splits.get());

            // The cause fixed, the operator's retry (trackedge jobs retry) brings tenant B's numbers.
            try (Connection c = pg.db.dataSource().getConnection(); Statement s = c.createStatement()) {
                s.execute("ALTER TABLE campaign_analytics DROP CONSTRAINT no_tenant_b");
            }
            UUID bJob = UUID.fromString(pg.test.rows("SELECT job_id FROM analytics_jobs WHERE tenant_id = '" + B + "'").get(0));
            assertEquals(1, store.retry(bJob));
            Await.until("tenant B's numbers", Duration.ofSeconds(30),
                    () -> pg.count("SELECT count(*) FROM campaign_analytics WHERE tenant_id = '" + B + "' AND sent = 3") == 1);
            assertTrue(thread.healthy());
        }
    }

    /**
     * A data error that is every tenant's (a constraint no row can meet) splits once; when every tenant
     * job of that split failed, the next period's job is not split again but fails as it is: one dead
     * job a period, not one per tenant (a thousand tenants, a thousand dead jobs an hour).
     */
    @Test
    void anErrorEveryTenantMeetsIsSplitOnceNotInEveryPeriod() throws Exception {
        LocalDate first = LocalDate.now(ZoneOffset.UTC).minusDays(2);
        LocalDate second = first.plusDays(1);
        try (Connection c = pg.db.dataSource().getConnection(); Statement s = c.createStatement()) {
            for (LocalDate day : new LocalDate[] {first, second}) {
                for (UUID tenant : new UUID[] {A, B}) {
                    s.execute("INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, email_id, campaign_id,"
                            + " mailbox_id, edge_no) VALUES (gen_random_uuid(), 'sent', '" + day + "T12:00:00Z', '" + tenant
                            + "', '" + tenant + "', 'e-1', 'camp-1', 'mbox-1', 1)");
                }
            }
            s.execute("ALTER TABLE campaign_analytics ADD CONSTRAINT no_one CHECK (sent < 0)");
        }
        RollUp campaigns = RollUps.all().stream().filter(r -> r.jobType().equals(TYPE)).findFirst().orElseThrow();
        JobSettings settings = JobSettings.defaults().withRetries(Duration.ofMillis(200), Duration.ofMillis(400), 2)
                .withSweepInterval(Duration.ofMillis(100)).withMaxIdle(Duration.ofMillis(20));
        JobStats stats = new JobStats();
        JobRunner runner = new JobRunner("r", new JobStore(pg.db.dataSource(), settings),
                JobRegistry.builder().add(campaigns, 100, Granularity.DAY).build(), null, null, settings, stats);
        try (RunnerThread thread = new RunnerThread(runner, settings).start()) {
            runner.enqueue(TYPE, Period.dayOf(first), null);
            Await.until("both tenant jobs of the first day dead", Duration.ofSeconds(30), () -> pg.count(
                    "SELECT count(*) FROM analytics_jobs WHERE tenant_id IS NOT NULL AND status = 'dead'") == 2);
            runner.enqueue(TYPE, Period.dayOf(second), null);
            Await.until("the second day's job dead, as it is", Duration.ofSeconds(30), () -> pg.count(
                    "SELECT count(*) FROM analytics_jobs WHERE tenant_id IS NULL AND period_start = '" + second + "' AND status = 'dead'") == 1);
            assertEquals(0, pg.count("SELECT count(*) FROM analytics_jobs WHERE tenant_id IS NOT NULL AND period_start = '" + second + "'"),
                    "not split again");
            String error = pg.test.rows("SELECT last_error FROM analytics_jobs WHERE tenant_id IS NULL AND period_start = '"
                    + second + "'").get(0);
            assertTrue(error.contains("no_one") && !error.startsWith("split"), error);
            assertEquals(1, stats.splits.get());
            assertTrue(thread.healthy());
        }
    }
}
