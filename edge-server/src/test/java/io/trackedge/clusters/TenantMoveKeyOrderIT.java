package io.trackedge.clusters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.CliRun;
import io.trackedge.testing.TestEdge;
import io.trackedge.testing.TwoClusterConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code trackedge clusters move} writes the destination's tables in the order a sink's batch does,
 * since the destination's sinks go on writing the tenant while the move's transaction holds what it
 * copied. In each case a batch of the destination (a transaction doing the sink's statements) holds
 * the key of the earlier of two tables; the move, which has rows of both to merge, starts and waits
 * there; the batch then writes the later table's key and commits, and the move completes. In the
 * move's old order (its later table first) the move would hold that key by then, and PostgreSQL
 * would break the deadlock after {@code deadlock_timeout} by failing the move or the batch.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TenantMoveKeyOrderIT {

    private static final UUID TENANT = UUID.fromString("56565656-5656-4565-8565-565656565656");
    private static final UUID USER = TestEdge.USER;
    private static final UUID CLIENT_ID = UUID.fromString("70000000-0000-4000-8000-000000000007");

    @TempDir
    Path dir;

    /** A warm-up mailbox's counters of the day, then the day's counters: the batch's ingest rows come before its daily upsert. */
    @Test
    void warmupCountersBeforeDailyCounters() throws Exception {
        String warmup = "INSERT INTO warmup_daily_stats (tenant_id, user_id, mailbox_id, date, opens_received) VALUES ('" + TENANT
                + "', '" + USER + "', 'box-1', current_date, %d) ON CONFLICT (tenant_id, mailbox_id, date) DO UPDATE"
                + " SET opens_received = warmup_daily_stats.opens_received + excluded.opens_received";
        String daily = "INSERT INTO daily_analytics (tenant_id, user_id, campaign_id, mailbox_id, date, warmup_opens) VALUES ('"
                + TENANT + "', '" + USER + "', '', 'box-1', current_date, %d) ON CONFLICT ON CONSTRAINT daily_analytics_key"
                + " DO UPDATE SET warmup_opens = daily_analytics.warmup_opens + excluded.warmup_opens";
        try (TestDatabase a = TestDatabase.migrated(); TestDatabase b = TestDatabase.migrated()) {
            sql(a, warmup.formatted(2));
            sql(a, daily.formatted(2));

            moveWhileABatchOf(a, b, warmup.formatted(1), daily.formatted(1));

            assertEquals(List.of("3"), b.rows("SELECT opens_received FROM warmup_daily_stats"));
            assertEquals(List.of("3"), b.rows("SELECT warmup_opens FROM daily_analytics"));
        }
    }

    /** An email's first click, then its first human open: the order of the batch's first-touch statement. */
    @Test
    void firstClickBeforeFirstHumanOpen() throws Exception {
        String click = "INSERT INTO email_clicks (tenant_id, email_id, user_id, event_id, clicked_url, clicked_at) VALUES ('" + TENANT
                + "', 'e-1', '" + USER + "', gen_random_uuid(), 'https://example.com/', %s) ON CONFLICT DO NOTHING";
        String humanOpen = "INSERT INTO email_human_opens (tenant_id, email_id, user_id, event_id, event_type, opened_at) VALUES ('"
                + TENANT + "', 'e-1', '" + USER + "', gen_random_uuid(), 'open', %s) ON CONFLICT DO NOTHING";
        try (TestDatabase a = TestDatabase.migrated(); TestDatabase b = TestDatabase.migrated()) {
            sql(a, click.formatted("now() - interval '1 hour'"));
            sql(a, humanOpen.formatted("now() - interval '1 hour'"));

            moveWhileABatchOf(a, b, click.formatted("now()"), humanOpen.formatted("now()"));

            assertEquals(List.of("earlier"), b.rows("SELECT CASE WHEN clicked_at < now() - interval '30 minutes' THEN 'earlier'"
                    + " ELSE 'later' END FROM email_clicks"), "one row, the earlier click's");
            assertEquals(List.of("earlier"), b.rows("SELECT CASE WHEN opened_at < now() - interval '30 minutes' THEN 'earlier'"
                    + " ELSE 'later' END FROM email_human_opens"));
        }
    }

    /** An ingest client id, then a User-Agent of the dictionary: the batch takes its client ids first. */
    @Test
    void clientIdBeforeUserAgent() throws Exception {
        String clientId = "INSERT INTO ingest_event_ids (tenant_id, event_id, event_type) VALUES ('" + TENANT + "', '" + CLIENT_ID
                + "', 'sent') ON CONFLICT DO NOTHING";
        String userAgent = "INSERT INTO user_agents (tenant_id, user_agent_id, user_agent) VALUES ('" + TENANT
                + "', 42, 'Mozilla/5.0') ON CONFLICT DO NOTHING";
        try (TestDatabase a = TestDatabase.migrated(); TestDatabase b = TestDatabase.migrated()) {
            sql(a, clientId);
            sql(a, userAgent);

            moveWhileABatchOf(a, b, clientId, userAgent);

            assertEquals(List.of(CLIENT_ID.toString()), b.rows("SELECT event_id::text FROM ingest_event_ids"));
            assertEquals(List.of("Mozilla/5.0"), b.rows("SELECT user_agent FROM user_agents"));
        }
    }

    /**
     * A batch of b writes {@code earlier} and holds it; the move of the tenant from a to b starts and
     * waits for that batch; the batch writes {@code later} and commits; the move must then complete,
     * with nothing of the tenant left in a.
     */
    private void moveWhileABatchOf(TestDatabase a, TestDatabase b, String earlier, String later) throws Exception {
        Path table = dir.resolve("routing.csv");
        Files.writeString(table, TENANT + ",b\n");
        Path config = TwoClusterConfig.write(dir.resolve("edge.conf"), a, b, table);
        CompletableFuture<CliRun> move;
        try (ExecutorService thread = Executors.newSingleThreadExecutor(); Connection batch = b.connect()) {
            batch.setAutoCommit(false);
            run(batch, "SET LOCAL lock_timeout = '20s'"); // a deadlock is found after 1 s; this wait only bounds a hang
            run(batch, earlier);
            int batchPid = TestDatabase.backendPid(batch);
            move = CompletableFuture.supplyAsync(() -> CliRun.run(config, "clusters", "move", "--tenant", TENANT.toString(),
                    "--from", "a"), thread);
            Await.until("the move waiting for the batch", Duration.ofSeconds(30), () -> move.isDone()
                    || b.waitingOn(batchPid) == 1);
            if (move.isDone()) {
                throw new AssertionError("the move ended before it waited for the batch: " + move.join());
            }
            run(batch, later);
            assertFalse(move.isDone(), "the move still waits for the batch");
            batch.commit();
        }
        CliRun moved = move.get(60, TimeUnit.SECONDS);
        assertEquals(0, moved.exit(), moved.err() + moved.out());
        assertEquals(0, a.count("SELECT count(*) FROM user_agents") + a.count("SELECT count(*) FROM ingest_event_ids")
                + a.count("SELECT count(*) FROM warmup_daily_stats") + a.count("SELECT count(*) FROM daily_analytics")
                + a.count("SELECT count(*) FROM email_clicks") + a.count("SELECT count(*) FROM email_human_opens"), "all moved");
    }

    private static void run(Connection c, String sql) throws Exception {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static void sql(TestDatabase db, String sql) throws Exception {
        try (Connection c = db.connect()) {
            run(c, sql);
        }
    }

}
