package io.trackedge.clusters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.trackedge.sink.postgres.TenantRewrites;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code trackedge clusters move} writes the destination's tables in the order a sink's batch does
 * (the destination's sinks go on writing the tenant while the move's transaction holds what it
 * copied), and takes a job's locks of the days whose roll-ups it merges before it writes. In each
 * case a writer of the destination (a transaction doing a batch's statements, or a job's) holds the
 * earlier of two keys; the move, which has rows of both to merge, starts and waits for it; the writer
 * then writes the later key and commits, and the move completes. Had the move taken the later key
 * first (its old table order, or no job lock), PostgreSQL would break the deadlock after
 * {@code deadlock_timeout} by failing the move or the writer.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TenantMoveKeyOrderIT {

    private static final UUID TENANT = UUID.fromString("56565656-5656-4565-8565-565656565656");
    private static final UUID USER = TestEdge.USER;
    private static final UUID CLIENT_ID = UUID.fromString("70000000-0000-4000-8000-000000000007");
    /** The tests' day, fixed once: each statement's current_date could fall on either side of a midnight. */
    private static final String DAY = LocalDate.now(ZoneOffset.UTC).minusDays(1).toString();

    @TempDir
    Path dir;

    /** A warm-up mailbox's counters of the day, then the day's counters: the batch's ingest rows come before its daily upsert. */
    @Test
    void warmupCountersBeforeDailyCounters() throws Exception {
        String warmup = "INSERT INTO warmup_daily_stats (tenant_id, user_id, mailbox_id, date, opens_received) VALUES ('" + TENANT
                + "', '" + USER + "', 'box-1', '" + DAY + "', %d) ON CONFLICT (tenant_id, mailbox_id, date) DO UPDATE"
                + " SET opens_received = warmup_daily_stats.opens_received + excluded.opens_received";
        String daily = "INSERT INTO daily_analytics (tenant_id, user_id, campaign_id, mailbox_id, date, warmup_opens) VALUES ('"
                + TENANT + "', '" + USER + "', '', 'box-1', '" + DAY + "', %d) ON CONFLICT ON CONSTRAINT daily_analytics_key"
                + " DO UPDATE SET warmup_opens = daily_analytics.warmup_opens + excluded.warmup_opens";
        try (TestDatabase a = TestDatabase.migrated(); TestDatabase b = TestDatabase.migrated()) {
            sql(a, warmup.formatted(2));
            sql(a, daily.formatted(2));

            moveWhileAWriterOfB(a, b, warmup.formatted(1), daily.formatted(1));

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

            moveWhileAWriterOfB(a, b, click.formatted("now()"), humanOpen.formatted("now()"));

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

            moveWhileAWriterOfB(a, b, clientId, userAgent);

            assertEquals(List.of(CLIENT_ID.toString()), b.rows("SELECT event_id::text FROM ingest_event_ids"));
            assertEquals(List.of("Mozilla/5.0"), b.rows("SELECT user_agent FROM user_agents"));
        }
    }

    /**
     * User-Agents of one table, which the source holds last, middle, first: the batch holds the middle
     * one and then writes the last, and the move, in key order, holds only the first by then.
     */
    @Test
    void userAgentsInKeyOrder() throws Exception {
        String userAgent = "INSERT INTO user_agents (tenant_id, user_agent_id, user_agent) VALUES ('" + TENANT
                + "', %d, 'agent %1$d') ON CONFLICT DO NOTHING";
        try (TestDatabase a = TestDatabase.migrated(); TestDatabase b = TestDatabase.migrated()) {
            for (int id : new int[] {3, 2, 1}) { // a's copy reads them in this order
                sql(a, userAgent.formatted(id));
            }

            moveWhileAWriterOfB(a, b, userAgent.formatted(2), userAgent.formatted(3));

            assertEquals(List.of("agent 1", "agent 2", "agent 3"), b.rows("SELECT user_agent FROM user_agents ORDER BY 1"));
        }
    }

    /**
     * A job of the destination recounting a day of the tenant inserts its roll-up rows in its query's
     * order, into the rows the move copies, on a day both clusters have raw events of. The move takes
     * such a day's locks as the job does, before it writes anything: here the job (a transaction
     * taking an every-tenant campaign job's lock of the day) holds the later of two campaigns' rows,
     * and the move waits at the lock rather than holding the earlier one.
     */
    @Test
    void aRollUpJobRecountingTheSameDay() throws Exception {
        String row = "INSERT INTO campaign_analytics (tenant_id, campaign_id, date, sent) VALUES ('" + TENANT + "', '%s', '" + DAY
                + "', %d) ON CONFLICT DO NOTHING";
        String job = "SELECT pg_advisory_xact_lock(hashtextextended('trackedge.rollup:campaign_analytics:" + DAY + "', 0)); ";
        try (TestDatabase a = TestDatabase.migrated(); TestDatabase b = TestDatabase.migrated()) {
            for (TestDatabase c : List.of(a, b)) { // each cluster took a send of the tenant that day
                sql(c, "INSERT INTO edge_nodes (edge_node) VALUES (gen_random_uuid())");
                sql(c, "INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, email_id, campaign_id, edge_no)"
                        + " VALUES (gen_random_uuid(), 'sent', '" + DAY + "T12:00:00Z', '" + TENANT + "', '" + USER + "', 'e-"
                        + (c == a ? "a" : "b") + "', 'camp-a', 1)");
            }
            sql(a, row.formatted("camp-a", 2));
            sql(a, row.formatted("camp-z", 2));

            moveWhileAWriterOfB(a, b, job + row.formatted("camp-z", 1), row.formatted("camp-a", 1));

            assertEquals(List.of("camp-a 1", "camp-z 1"), b.rows("SELECT campaign_id || ' ' || sent FROM campaign_analytics ORDER BY 1"),
                    "the job's rows stay; the move queued the day's recount");
            assertEquals(1, b.count("SELECT count(*) FROM analytics_jobs WHERE job_type = 'campaign_analytics' AND tenant_id = '" + TENANT
                    + "' AND period_start = '" + DAY + "T00:00:00Z' AND status = 'queued'"));
        }
    }

    /**
     * A sink's batch carrying the classifier's corrections writes the first touches of its new emails,
     * then rewrites an earlier email's first open: a second pass over the tables the move writes in
     * one. Here the batch holds a new first click and then corrects the open of an email both clusters
     * have, which the move would hold by then, had it not waited first for {@link TenantRewrites}' lock
     * that such a batch takes before its first write.
     */
    @Test
    void aBatchCorrectingVerdictsRewritesAFirstOpenAfterItsFirstClicks() throws Exception {
        String open = "INSERT INTO email_opens (tenant_id, email_id, user_id, event_id, opened_at) VALUES ('" + TENANT
                + "', 'e-1', '" + USER + "', gen_random_uuid(), %s) ON CONFLICT DO NOTHING";
        String click = "INSERT INTO email_clicks (tenant_id, email_id, user_id, event_id, clicked_url, clicked_at) VALUES ('" + TENANT
                + "', 'e-2', '" + USER + "', gen_random_uuid(), 'https://example.com/', %s) ON CONFLICT DO NOTHING";
        try (TestDatabase a = TestDatabase.migrated(); TestDatabase b = TestDatabase.migrated()) {
            sql(a, open.formatted("now() - interval '1 hour'"));
            sql(a, click.formatted("now() - interval '1 hour'"));
            sql(b, open.formatted("now()"));

            moveWhileAWriterOfB(a, b, writer -> {
                TenantRewrites.holdShared(writer, List.of(TENANT));
                run(writer, click.formatted("now()"));
            }, "UPDATE email_opens SET is_machine = true WHERE email_id = 'e-1'");

            assertEquals(List.of("e-1 earlier"), b.rows("SELECT email_id || CASE WHEN opened_at < now() - interval '30 minutes'"
                    + " THEN ' earlier' ELSE ' later' END FROM email_opens"), "the earlier open stays");
            assertEquals(List.of("earlier"), b.rows("SELECT CASE WHEN clicked_at < now() - interval '30 minutes' THEN 'earlier'"
                    + " ELSE 'later' END FROM email_clicks"));
        }
    }

    /** What a writer of b does first. */
    @FunctionalInterface
    private interface Step {
        void run(Connection writer) throws Exception;
    }

    private void moveWhileAWriterOfB(TestDatabase a, TestDatabase b, String earlier, String later) throws Exception {
        moveWhileAWriterOfB(a, b, writer -> run(writer, earlier), later);
    }

    /**
     * A writer of b (a sink's batch, a job) writes {@code earlier} and holds it; the move of the tenant
     * from a to b starts and waits for that writer; the writer writes {@code later} and commits; the
     * move must then complete, with nothing of the tenant left in a.
     */
    private void moveWhileAWriterOfB(TestDatabase a, TestDatabase b, Step earlier, String later) throws Exception {
        Path table = dir.resolve("routing.csv");
        Files.writeString(table, TENANT + ",b\n");
        Path config = TwoClusterConfig.write(dir.resolve("edge.conf"), a, b, table);
        CompletableFuture<CliRun> move;
        try (ExecutorService thread = Executors.newSingleThreadExecutor(); Connection writer = b.connect()) {
            writer.setAutoCommit(false);
            run(writer, "SET LOCAL lock_timeout = '20s'"); // a deadlock is found after 1 s; this wait only bounds a hang
            earlier.run(writer);
            int writerPid = TestDatabase.backendPid(writer);
            move = CompletableFuture.supplyAsync(() -> CliRun.run(config, "clusters", "move", "--tenant", TENANT.toString(),
                    "--from", "a"), thread);
            Await.until("the move waiting for the writer", Duration.ofSeconds(30), () -> move.isDone()
                    || b.waitingOn(writerPid) == 1);
            if (move.isDone()) {
                throw new AssertionError("the move ended before it waited for the writer: " + move.join());
            }
            run(writer, later);
            assertFalse(move.isDone(), "the move still waits for the writer");
            writer.commit();
        }
        CliRun moved = move.get(60, TimeUnit.SECONDS);
        assertEquals(0, moved.exit(), moved.err() + moved.out());
        assertEquals(0, a.count("SELECT count(*) FROM user_agents") + a.count("SELECT count(*) FROM ingest_event_ids")
                + a.count("SELECT count(*) FROM warmup_daily_stats") + a.count("SELECT count(*) FROM daily_analytics")
                + a.count("SELECT count(*) FROM email_clicks") + a.count("SELECT count(*) FROM email_opens") + a.count("SELECT count(*) FROM email_human_opens")
                + a.count("SELECT count(*) FROM campaign_analytics") + a.count("SELECT count(*) FROM email_event_rows"), "all moved");
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
