package io.trackedge.clusters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.JobTypes;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.jobs.JobRegistry;
import io.trackedge.jobs.JobRunner;
import io.trackedge.jobs.JobSettings;
import io.trackedge.jobs.JobStats;
import io.trackedge.jobs.JobStore;
import io.trackedge.jobs.Period;
import io.trackedge.sink.postgres.MovedTenants;
import io.trackedge.sink.postgres.PostgresSink;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.CliRun;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import io.trackedge.testing.TwoClusterConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tenant moved from cluster a to cluster b with {@code trackedge clusters move}, after some of its
 * emails were opened in a and again in b: every row lands in b once and leaves a, first touches keep
 * the earlier, counters add up, and once the recounts the move queued have run, b's roll-ups and
 * counters of the tenant are those of a database that had the tenant whole all along (an edge beside
 * the two given the same requests). Another tenant in a is not touched.
 */
class TenantMoveIT {

    private static final UUID MOVED = TestEdge.TENANT;
    private static final UUID OTHER = UUID.fromString("44444444-4444-4444-8444-444444444444");
    /** The tables compared with the whole database: every roll-up and counter of the tenant. */
    private static final List<String> NUMBERS = List.of("daily_analytics", "daily_unstored", "campaign_analytics",
            "mailbox_analytics", "lead_analytics", "sequence_step_analytics", "stats_hourly", "link_clicks_hourly",
            "automation_hourly", "automation_hourly_tenant", "billing_analytics", "billing_days", "warmup_analytics",
            "warmup_daily_stats");
    /** The warm-up test's day, fixed once: each statement's current_date could fall on either side of a midnight. */
    private static final LocalDate YESTERDAY = LocalDate.now(ZoneOffset.UTC).minusDays(1);

    @TempDir
    Path dir;

    @Test
    void aTenantsRowsMoveOnceAndItsNumbersAreThoseOfOneDatabase() throws Exception {
        try (TestDatabase a = TestDatabase.create(); TestDatabase b = TestDatabase.create(); TestDatabase whole = TestDatabase.create()) {
            Path table = dir.resolve("routing.csv");
            Files.writeString(table, MOVED + ",a\n" + OTHER + ",a\n");
            Path dataDir;
            try (TestEdge split = clustered(a, b, table, null); TestEdge one = single(whole)) {
                dataDir = split.dataDir();
                requests(split, one, 0, 10, 5); // opens of e0..e9, clicks of e0..e4
                for (TestEdge edge : List.of(split, one)) {
                    try (RawHttp c = new RawHttp(edge.port())) {
                        for (int i = 0; i < 3; i++) {
                            assertEquals(200, c.get(edge.pixelPath(OTHER, "other-" + i)).status());
                        }
                    }
                }
                await(a, MOVED, 15);
                await(whole, MOVED, 15);
            }
            Files.writeString(table, MOVED + ",b\n" + OTHER + ",a\n");
            try (TestEdge split = clustered(a, b, table, dataDir); TestEdge one = single(whole)) {
                requests(split, one, 5, 15, 10); // opens of e5..e14 (e5..e9 opened in a before), clicks of e5..e9
                await(b, MOVED, 15);
                await(whole, MOVED, 30);
            }
            assertEquals(15, rows(a, "email_event_rows", MOVED));
            runJobs(a, true); // roll-up rows in a too, which the move copies and b then recounts
            Set<String> events = new java.util.TreeSet<>(column(a, "SELECT event_id FROM email_event_rows WHERE tenant_id = '" + MOVED + "'"));
            events.addAll(column(b, "SELECT event_id FROM email_event_rows WHERE tenant_id = '" + MOVED + "'"));
            Map<String, String> firstOpens = earliestOpens(a, b);
            Map<String, Long> opensTotal = sum(a, b);
            List<String> otherBefore = a.rows("SELECT * FROM email_events WHERE tenant_id = '" + OTHER + "' ORDER BY event_id");

            Path config = TwoClusterConfig.write(dir.resolve("edge.conf"), a, b, table);
            CliRun moved = CliRun.run(config, "clusters", "move", "--tenant", MOVED.toString(), "--from", "a");
            assertEquals(0, moved.exit(), moved.err() + moved.out());
            assertTrue(moved.out().contains("moved tenant " + MOVED + " from a to b: "), moved.out());

            for (MovedTable t : MovedTable.ALL) {
                if (t.moves()) {
                    assertEquals(0, rows(a, t.name(), MOVED), t.name() + " of the tenant left in a");
                }
            }
            assertEquals(otherBefore, a.rows("SELECT * FROM email_events WHERE tenant_id = '" + OTHER + "' ORDER BY event_id"));
            assertEquals(events, new java.util.TreeSet<>(column(b, "SELECT event_id FROM email_event_rows WHERE tenant_id = '" + MOVED + "'")));
            assertEquals(30, rows(b, "email_event_rows", MOVED), "each event once");
            assertEquals(firstOpens, opens(b), "each email's earlier first open");
            assertEquals(opensTotal, counters(b), "the daily counters of both");
            assertEquals("done", b.rows("SELECT state FROM tenant_moves WHERE tenant_id = '" + MOVED + "'").get(0));
            // The moved rows read back through the view as they did in a: edge numbers translated, contexts and user agents there.
            assertEquals(events.size(), b.count("SELECT count(*) FROM email_events e JOIN edge_nodes n USING (edge_no) "
                    + "JOIN user_agents u ON u.tenant_id = e.tenant_id AND u.user_agent_id = e.user_agent_id "
                    + "WHERE e.tenant_id = '" + MOVED + "' AND e.campaign_id = 'camp-1' AND u.user_agent = 'raw-test'"));

            runJobs(b, false);
            runJobs(whole, true);
            for (String numbers : NUMBERS) {
                assertEquals(numbers(whole, numbers), numbers(b, numbers), numbers + " of the tenant against one database's");
            }

            CliRun again = CliRun.run(config, "clusters", "move", "--tenant", MOVED.toString(), "--from", "a");
            assertEquals(0, again.exit(), again.err());
            assertTrue(again.out().contains("has no rows in a"), again.out());
            CliRun home = CliRun.run(config, "clusters", "move", "--tenant", OTHER.toString(), "--from", "a");
            assertEquals(1, home.exit(), "routed to a");
            assertTrue(home.err().contains("is routed to a"), home.err());
        }
    }

    /**
     * A move that stopped between its two commits left its record "copied" in b and the rows in a:
     * the next run deletes them from a without copying again, unless they changed meanwhile, even
     * with the same number of rows (a counter added to); roll-up rows a's jobs wrote meanwhile do
     * not stop it (b recounts them from the raw rows).
     */
    @Test
    void aMoveStoppedAfterItsCopyIsFinishedWithoutASecondCopy() throws Exception {
        try (TestDatabase a = migrated(); TestDatabase b = migrated(); Database da = database(a); Database db = database(b)) {
            try (Connection c = a.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO daily_analytics (tenant_id, user_id, date, opens_total) VALUES ('" + OTHER
                        + "', gen_random_uuid(), current_date, 3)");
                s.execute("INSERT INTO ingest_event_ids (event_id, tenant_id, event_type) VALUES (gen_random_uuid(), '" + OTHER + "', 'sent')");
            }
            recordCopiedFromAToB(a, b, OTHER);
            try (Connection c = a.connect(); Statement s = c.createStatement()) {
                s.execute("UPDATE daily_analytics SET opens_total = opens_total + 1 WHERE tenant_id = '" + OTHER + "'"); // a sink still writing
            }
            JobRegistry registry = JobTypes.registry(0, db.dataSource());
            TenantMove move = new TenantMove(da.dataSource(), "a", db.dataSource(), "b", registry,
                    new JobStore(db.dataSource(), JobSettings.defaults()));
            TenantMove.MoveRefused changed = assertThrows(TenantMove.MoveRefused.class, () -> move.move(OTHER));
            assertTrue(changed.getMessage().contains("changed since they were copied"), changed.getMessage());
            assertEquals(2, rows(a, "daily_analytics", OTHER) + rows(a, "ingest_event_ids", OTHER), "nothing deleted");

            try (Connection c = a.connect(); Statement s = c.createStatement()) {
                s.execute("UPDATE daily_analytics SET opens_total = opens_total - 1 WHERE tenant_id = '" + OTHER + "'");
                // a's every-tenant billing job rewriting the month to date: a roll-up b recounts anyway
                s.execute("INSERT INTO billing_analytics (tenant_id, period_start, period_end, emails_sent) VALUES ('" + OTHER
                        + "', date_trunc('month', now()), now(), 1)");
            }
            TenantMove.Outcome finished = move.move(OTHER);
            assertTrue(finished.resumed());
            assertEquals(0, rows(a, "daily_analytics", OTHER) + rows(a, "ingest_event_ids", OTHER));
            assertEquals(0, rows(b, "daily_analytics", OTHER), "not copied a second time");
            assertEquals("done", b.rows("SELECT state FROM tenant_moves").get(0));
        }
    }

    /**
     * A move whose delete in a committed, though its run saw an error (or failed to mark its record
     * done), left b's record "copied" and a empty and marked moved to b; a stale edge's event of the
     * tenant then set aside in a (error code moved) is the edges' to forward, not a row the copy missed:
     * the next run finishes the move, and leaves that event where it is, unforwarded, for them, as does a run after it.
     */
    @Test
    void aMoveWhoseSourceCommittedIsFinishedBesideEventsSetAsideThere() throws Exception {
        try (TestDatabase a = migrated(); TestDatabase b = migrated(); Database da = database(a); Database db = database(b)) {
            sql(a, "INSERT INTO daily_analytics (tenant_id, user_id, date, opens_total) VALUES ('" + OTHER + "', gen_random_uuid(), current_date, 3)");
            recordCopiedFromAToB(a, b, OTHER);
            try (Connection c = a.connect()) { // a's commit, as the stopped run made it
                c.setAutoCommit(false);
                MovedTenants.markMovedOut(c, OTHER, "b");
                try (Statement s = c.createStatement()) {
                    s.execute("DELETE FROM daily_analytics WHERE tenant_id = '" + OTHER + "'");
                }
                c.commit();
            }
            sql(a, "INSERT INTO bad_events (sink, edge_node, journal_position, event_id, tenant_id, event_type, record, error, error_code)"
                    + " VALUES ('" + PostgresSink.NAME + "', gen_random_uuid(), 7, gen_random_uuid(), '" + OTHER + "', 'open', '\\x00',"
                    + " 'tenant moved out of this cluster', '" + MovedTenants.CODE + "')");
            TenantMove move = new TenantMove(da.dataSource(), "a", db.dataSource(), "b", JobTypes.registry(0, db.dataSource()),
                    new JobStore(db.dataSource(), JobSettings.defaults()));

            TenantMove.Outcome finished = move.move(OTHER);

            assertTrue(finished.resumed());
            assertEquals(0, finished.leftInSource(), "the set-aside event is not a row the move left behind");
            assertEquals("done", b.rows("SELECT state FROM tenant_moves").get(0));
            assertEquals(1, a.count("SELECT count(*) FROM bad_events WHERE tenant_id = '" + OTHER + "' AND error_code = '"
                    + MovedTenants.CODE + "' AND replayed_at IS NULL"), "kept for the edges to forward");
            assertEquals(0, b.count("SELECT count(*) FROM bad_events"), "not copied: the forward writes it in b");
            assertEquals(List.of("b"), a.rows("SELECT moved_to FROM tenants_moved_out WHERE tenant_id = '" + OTHER + "'"));

            TenantMove.Outcome again = move.move(OTHER);
            assertEquals(0, again.rows() + again.leftInSource(), "run again, nothing to move");
            assertEquals(1, a.count("SELECT count(*) FROM bad_events WHERE tenant_id = '" + OTHER + "' AND replayed_at IS NULL"), "still kept");
            assertEquals(0, b.count("SELECT count(*) FROM bad_events"));
        }
    }

    /**
     * An erasure done in the destination and not yet in the source stops the move (it would copy the
     * recipient's rows back); once it reached both, the move goes on. The source's unrun jobs of the
     * tenant follow it, and an ingest event both clusters took (a client's retry) lands once.
     */
    @Test
    void anErasureHalfDoneStopsTheMoveAndUnrunJobsAndRetriesFollowOnce() throws Exception {
        UUID retried = UUID.randomUUID();
        UUID only = UUID.randomUUID();
        try (TestDatabase a = migrated(); TestDatabase b = migrated(); Database da = database(a); Database db = database(b)) {
            for (TestDatabase c : List.of(a, b)) {
                sql(c, "INSERT INTO edge_nodes (edge_node) VALUES (gen_random_uuid())");
                sql(c, "INSERT INTO ingest_event_ids (event_id, tenant_id, event_type) VALUES ('" + retried + "', '" + OTHER + "', 'sent')");
                sql(c, sent(retried));
            }
            sql(a, "INSERT INTO ingest_event_ids (event_id, tenant_id, event_type) VALUES ('" + only + "', '" + OTHER + "', 'sent')");
            sql(a, sent(only));
            String erasure = "INSERT INTO erasure_audit (tenant_id, email_hash, requested_by) VALUES ('" + OTHER
                    + "', sha256('someone'::bytea), 'test')";
            sql(b, erasure);
            new JobStore(da.dataSource(), JobSettings.defaults()).enqueue("campaign_analytics", 75, Period.parse("day:2026-11-01"), OTHER);
            TenantMove move = new TenantMove(da.dataSource(), "a", db.dataSource(), "b", JobTypes.registry(0, db.dataSource()),
                    new JobStore(db.dataSource(), JobSettings.defaults()));

            TenantMove.MoveRefused halfDone = assertThrows(TenantMove.MoveRefused.class, () -> move.move(OTHER));
            assertTrue(halfDone.getMessage().contains("erasure(s) of tenant " + OTHER + " are done in b and not in a"), halfDone.getMessage());
            assertEquals(2, rows(a, "email_event_rows", OTHER), "nothing moved");

            sql(a, erasure);
            TenantMove.Outcome moved = move.move(OTHER);
            assertEquals(0, moved.leftInSource());
            assertEquals(1, b.count("SELECT count(*) FROM email_event_rows WHERE event_id = '" + retried + "'"), "the retry once");
            assertEquals(1, b.count("SELECT count(*) FROM email_event_rows WHERE event_id = '" + only + "'"));
            assertEquals(2, rows(b, "ingest_event_ids", OTHER));
            assertEquals(1, b.count("SELECT count(*) FROM analytics_jobs WHERE tenant_id = '" + OTHER + "' AND job_type = 'campaign_analytics'"
                    + " AND period_start = '2026-11-01T00:00:00Z' AND status = 'queued' AND priority = 75"),
                    "the source's unrun job, carried at its type's priority");
            assertTrue(b.count("SELECT count(*) FROM analytics_jobs WHERE tenant_id = '" + OTHER + "'") > 1, "recounts queued");
            assertEquals(0, b.count("SELECT count(*) FROM analytics_jobs WHERE tenant_id = '" + OTHER + "'"
                    + " AND period_start <> '2026-11-01T00:00:00Z' AND priority < " + io.trackedge.jobs.JobRegistry.BACKFILL),
                    "the recounts queued as backfill, after every job of a period just closed");
            assertEquals(0, rows(a, "analytics_jobs", OTHER));
            assertEquals(1, rows(a, "erasure_audit", OTHER), "each cluster keeps its audit");
        }
    }

    /**
     * A client's warm-up events accepted by each cluster (a retry sent after the routing change) were
     * counted by both clusters' sinks: once the move, the tenant's warm-up counters count each event
     * once. One retried event the source took only as a client id (its sink counted it nowhere, as a
     * privacy policy's counted-only event) is not taken off; another tenant's event of the same id in
     * the destination is not touched.
     */
    @Test
    void warmupEventsBothClustersTookAreCountedOnce() throws Exception {
        UUID open = UUID.randomUUID();
        UUID reply = UUID.randomUUID();
        UUID openInA = UUID.randomUUID();
        UUID idOnlyInA = UUID.randomUUID();
        UUID elsewhere = UUID.fromString("45454545-4545-4454-8454-454545454545");
        try (TestDatabase a = migrated(); TestDatabase b = migrated(); Database da = database(a); Database db = database(b)) {
            for (TestDatabase c : List.of(a, b)) { // what each cluster's sink wrote of the events it took
                sql(c, "INSERT INTO edge_nodes (edge_node) VALUES (gen_random_uuid())");
                warmup(c, OTHER, open, "warmup_open");
                warmup(c, OTHER, reply, "warmup_reply");
            }
            warmup(a, OTHER, openInA, "warmup_open");
            sql(a, warmupCounts(OTHER, 2, 1));
            sql(a, "INSERT INTO ingest_event_ids (event_id, tenant_id, event_type) VALUES ('" + idOnlyInA + "', '" + OTHER
                    + "', 'warmup_open')");
            warmup(b, OTHER, idOnlyInA, "warmup_open");
            sql(b, warmupCounts(OTHER, 2, 1));
            warmup(b, elsewhere, open, "warmup_open");
            sql(b, warmupCounts(elsewhere, 1, 0));
            TenantMove move = new TenantMove(da.dataSource(), "a", db.dataSource(), "b", JobTypes.registry(0, db.dataSource()),
                    new JobStore(db.dataSource(), JobSettings.defaults()));

            move.move(OTHER);

            assertEquals(List.of("3|1"), b.rows("SELECT opens_received, replies_received FROM warmup_daily_stats WHERE tenant_id = '"
                    + OTHER + "'"), "opens: the retried one once, a's own, and the one a counted nowhere; the retried reply once");
            assertEquals(List.of("1|0"), b.rows("SELECT opens_received, replies_received FROM warmup_daily_stats WHERE tenant_id = '"
                    + elsewhere + "'"));
            assertEquals(4, rows(b, "email_event_rows", OTHER));
            assertEquals(0, rows(a, "warmup_daily_stats", OTHER));
        }
    }

    /** A warm-up event of {@code tenant}'s mailbox box-1, yesterday noon, with its client id and its interaction row, as the sink writes it. */
    private static void warmup(TestDatabase db, UUID tenant, UUID event, String type) throws SQLException {
        String at = "'" + YESTERDAY + "T12:00:00Z'";
        sql(db, "INSERT INTO ingest_event_ids (event_id, tenant_id, event_type) VALUES ('" + event + "', '" + tenant + "', '" + type + "')");
        sql(db, "INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, mailbox_id, edge_no) VALUES ('" + event
                + "', '" + type + "', " + at + ", '" + tenant + "', '" + TestEdge.USER + "', 'box-1', 1)");
        sql(db, "INSERT INTO warmup_interactions (event_id, tenant_id, user_id, mailbox_id, interaction_type, interaction_at) VALUES ('"
                + event + "', '" + tenant + "', '" + TestEdge.USER + "', 'box-1', '" + (type.equals("warmup_open") ? "open" : "reply")
                + "', " + at + ")");
    }

    private static String warmupCounts(UUID tenant, int opens, int replies) {
        return "INSERT INTO warmup_daily_stats (tenant_id, user_id, mailbox_id, date, opens_received, replies_received) VALUES ('"
                + tenant + "', '" + TestEdge.USER + "', 'box-1', '" + YESTERDAY + "', " + opens + ", " + replies + ")";
    }

    private static String sent(UUID event) {
        return "INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, email_id, edge_no) VALUES ('" + event
                + "', 'sent', now() - interval '1 hour', '" + OTHER + "', '" + TestEdge.USER + "', 'e-" + event + "', 1)";
    }

    private static void sql(TestDatabase db, String statement) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    /** A migration that adds a table of tenants' rows must say how a move merges it, or the move would leave it behind. */
    @Test
    void everyTableOfTenantsRowsHasARule() throws Exception {
        try (TestDatabase db = migrated()) {
            List<String> tables = db.rows("""
                    SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
                      AND NOT c.relispartition AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                      AND a.attname = 'tenant_id' AND NOT a.attisdropped) ORDER BY 1""");
            assertEquals(new java.util.TreeSet<>(tables), new java.util.TreeSet<>(MovedTable.BY_NAME.keySet()));
        }
    }

    private static TestEdge clustered(TestDatabase a, TestDatabase b, Path table, Path dataDir) throws Exception {
        List<String> env = new ArrayList<>(List.of("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_USER", "postgres",
                "EDGE_DATABASE_CLUSTERS", "a=" + a.jdbcUrl() + ",b=" + b.jdbcUrl(), "EDGE_DATABASE_ROUTING_TABLE", table.toString(),
                "EDGE_JOBS_ENABLED", "false"));
        if (dataDir != null) {
            env.addAll(List.of("EDGE_DATA_DIR", dataDir.toString()));
        }
        return TestEdge.start(env.toArray(String[]::new));
    }

    private static TestEdge single(TestDatabase whole) throws Exception {
        return TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_USER", "postgres", "EDGE_DATABASE_URL", whole.jdbcUrl(),
                "EDGE_JOBS_ENABLED", "false");
    }

    /**
     * Opens of emails {@code from} to {@code to} - 1, then a click of each from {@code from} to
     * {@code clicksTo} - 1, each request to both edges in turn (milliseconds apart, so an hour's
     * boundary falls between the two edges' copies of a request only by a hair's chance).
     */
    private static void requests(TestEdge split, TestEdge one, int from, int to, int clicksTo) throws Exception {
        try (RawHttp s = new RawHttp(split.port()); RawHttp o = new RawHttp(one.port())) {
            for (int i = from; i < to; i++) {
                assertEquals(200, s.get(split.pixelPath("e" + i)).status());
                assertEquals(200, o.get(one.pixelPath("e" + i)).status());
            }
            for (int i = from; i < clicksTo; i++) {
                assertEquals(302, s.get(split.clickPath("e" + i, "https://example.com/offer", true)).status());
                assertEquals(302, o.get(one.clickPath("e" + i, "https://example.com/offer", true)).status());
            }
        }
    }

    private static void await(TestDatabase db, UUID tenant, long events) {
        Await.until(events + " events of " + tenant + " in " + db.jdbcUrl(), Duration.ofSeconds(60), () -> rows(db, "email_event_rows", tenant) >= events);
    }

    private static long rows(TestDatabase db, String table, UUID tenant) throws SQLException {
        return db.count("SELECT count(*) FROM " + table + " WHERE tenant_id = '" + tenant + "'");
    }

    private static List<String> column(TestDatabase db, String sql) throws SQLException {
        return db.rows(sql);
    }

    /** email_id to the event id of its first open, the earlier of a's and b's. */
    private static Map<String, String> earliestOpens(TestDatabase a, TestDatabase b) throws SQLException {
        Map<String, String[]> first = new HashMap<>();
        for (TestDatabase db : List.of(a, b)) {
            for (String row : db.rows("SELECT email_id, extract(epoch FROM opened_at)::numeric, event_id FROM email_opens WHERE tenant_id = '"
                    + MOVED + "'")) {
                String[] f = row.split("\\|");
                first.merge(f[0], f, (x, y) -> new java.math.BigDecimal(x[1]).compareTo(new java.math.BigDecimal(y[1])) <= 0 ? x : y);
            }
        }
        Map<String, String> out = new TreeMap<>();
        first.forEach((email, f) -> out.put(email, f[2]));
        return out;
    }

    private static Map<String, String> opens(TestDatabase db) throws SQLException {
        Map<String, String> out = new TreeMap<>();
        for (String row : db.rows("SELECT email_id, event_id FROM email_opens WHERE tenant_id = '" + MOVED + "'")) {
            String[] f = row.split("\\|");
            out.put(f[0], f[1]);
        }
        return out;
    }

    /** Per daily_analytics key, opens_total and clicks_total summed over the databases. */
    private static Map<String, Long> sum(TestDatabase... dbs) throws SQLException {
        Map<String, Long> out = new TreeMap<>();
        for (TestDatabase db : dbs) {
            counters(db).forEach((k, v) -> out.merge(k, v, Long::sum));
        }
        return out;
    }

    private static Map<String, Long> counters(TestDatabase db) throws SQLException {
        Map<String, Long> out = new TreeMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(
                "SELECT concat_ws('/', user_id, campaign_id, mailbox_id, date), opens_total, clicks_total FROM daily_analytics"
                        + " WHERE tenant_id = '" + MOVED + "'")) {
            while (r.next()) {
                out.merge(r.getString(1) + " opens", r.getLong(2), Long::sum);
                out.merge(r.getString(1) + " clicks", r.getLong(3), Long::sum);
            }
        }
        return out;
    }

    /** The tenant's rows of a roll-up or counter table, without the times rows were written or events taken. */
    private static List<String> numbers(TestDatabase db, String table) throws SQLException {
        return db.rows("SELECT (SELECT jsonb_object_agg(key, value) FROM jsonb_each(to_jsonb(t)) WHERE key NOT LIKE '%\\_at') AS r"
                + " FROM " + table + " t WHERE tenant_id = '" + MOVED + "' ORDER BY 1");
    }

    /**
     * Runs every queued job; with {@code recount}, first queues the tenant's days of raw rows of every
     * roll-up and of the reconciliation, as the move does in b.
     */
    private static void runJobs(TestDatabase testDb, boolean recount) throws Exception {
        try (Database db = database(testDb)) {
            JobRegistry registry = JobTypes.registry(0, db.dataSource());
            JobStore jobs = new JobStore(db.dataSource(), JobSettings.defaults());
            JobStats stats = new JobStats();
            try (JobRunner runner = new JobRunner("tenant-move-it", jobs, registry, null, null, JobSettings.defaults(), stats)) {
                if (recount) {
                    Set<LocalDate> days;
                    try (Connection c = testDb.connect()) {
                        days = MoveRecounts.daysWithRows(c, MOVED);
                    }
                    for (LocalDate day : days) {
                        for (JobRegistry.JobType t : registry.all()) {
                            if ((t.rollUp().countsEvents() || t.name().equals(MoveRecounts.RECONCILIATION))
                                    && t.schedule().contains(io.trackedge.jobs.Granularity.DAY)) {
                                runner.enqueue(t.name(), Period.dayOf(day), MOVED);
                            }
                        }
                    }
                }
                runner.drain();
            }
            assertEquals(0, stats.failures.get(), "roll-up failures");
        }
    }

    private static TestDatabase migrated() throws Exception {
        return TestDatabase.migrated();
    }

    private static Database database(TestDatabase db) {
        return new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 2);
    }


    /** What a move's copy step leaves behind when its run stops: b's record of a's rows as they stand, "copied". */
    private static void recordCopiedFromAToB(TestDatabase a, TestDatabase b, java.util.UUID tenant) throws Exception {
        TenantRows copied;
        try (Connection c = a.connect()) {
            copied = TenantRows.of(c, tenant);
        }
        try (Connection c = b.connect()) {
            c.setAutoCommit(false);
            MoveRecord.copied(c, tenant, "a", "b", copied.counts(), copied.fingerprints());
            c.commit();
        }
    }
}
