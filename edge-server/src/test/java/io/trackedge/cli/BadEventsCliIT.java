package io.trackedge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.Main;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.journal.MutableEvent;
import io.trackedge.journal.RecordCodec;
import io.trackedge.sink.BadRecord;
import io.trackedge.sink.bad.UncheckedBadEvents;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.FakePostHog;
import io.trackedge.sink.testing.TestDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code trackedge bad-events list|replay} against a real database and a PostHog stand-in: what a sink
 * set aside is listed with its error, a replay that is refused again stays listed, a replay after
 * the fix writes the event once, and a second replay writes nothing.
 */
class BadEventsCliIT {

    private static final UUID TENANT = UUID.fromString("0f8fad5b-d9cb-469f-a165-70867728950e");
    private static final UUID USER = UUID.fromString("7c9e6679-7425-40de-944b-e07fc1f90ae7");

    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {
    }

    private Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = new CommandLine(new Main());
        cmd.setOut(new PrintWriter(out));
        cmd.setErr(new PrintWriter(err));
        int exit = cmd.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** A journal record of one open, as the edge writes it. */
    private static byte[] record(UUID id, String email) {
        return record(id, email, "Mozilla/5.0 (test)");
    }

    private static byte[] record(UUID id, String email, String userAgent) {
        MutableEvent e = new MutableEvent();
        long now = System.currentTimeMillis() * 1000;
        e.reset(EventType.OPEN, id.getMostSignificantBits(), id.getLeastSignificantBits(), now);
        byte[] block = FieldsCodec.encode(new EventFields(TENANT, USER, "camp", "mbox", email, null, null, null));
        e.fields(block, 0, block.length);
        e.userAgent(userAgent);
        ByteBuffer b = ByteBuffer.allocate(e.encodedSizeBound());
        RecordCodec.encode(e, b);
        return Arrays.copyOf(b.array(), b.position());
    }

    @Test
    void listReplayAndReplayAgain() throws Exception {
        try (TestDatabase testDb = TestDatabase.create(); FakePostHog fake = FakePostHog.start("phc_cli");
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 2)) {
            db.migrate();
            UUID node = UUID.randomUUID();
            UUID forPostgres = UUID.fromString("01900000-0000-7000-8000-0000000000a1");
            UUID forPostHog = UUID.fromString("01900000-0000-7000-8000-0000000000b2");
            try (Connection c = db.dataSource().getConnection()) {
                byte[] r1 = record(forPostgres, "email-1");
                EventRecord e1 = RecordCodec.decode(r1, 0, r1.length);
                UncheckedBadEvents.insert(c, "postgres", node, new BadRecord(100, 200, r1, e1,
                        "new row for relation \"email_events\" violates check constraint \"no_camp\"", "23514"));
                byte[] r2 = record(forPostHog, "email-2");
                UncheckedBadEvents.insert(c, "posthog", node, new BadRecord(100, 200, r2, RecordCodec.decode(r2, 0, r2.length),
                        "PostHog answered 400 {\"error\":\"invalid\"} for a request of 1 event(s)", "400"));
            }
            Path cfg = dir.resolve("edge.conf");
            Files.writeString(cfg, "edge.profile = development\nedge.data-dir = \"" + dir.resolve("data") + "\"\n"
                    + "edge.database.url = \"" + testDb.jdbcUrl() + "\"\nedge.database.user = \"postgres\"\n"
                    + "edge.sink.posthog.api-key = \"phc_cli\"\nedge.sink.posthog.host = \"" + fake.host() + "\"\n");

            Run list = run("bad-events", "list", "-c", cfg.toString());
            assertEquals(0, list.exit(), list.err());
            assertTrue(list.out().contains(forPostgres.toString()) && list.out().contains("violates check constraint"), list.out());
            assertTrue(list.out().contains(forPostHog.toString()) && list.out().contains("PostHog answered 400"), list.out());
            assertTrue(list.err().contains("2 event(s)"), list.err());

            fake.poison(forPostHog);
            Run refused = run("bad-events", "replay", "--sink", "posthog", "-c", cfg.toString());
            assertEquals(1, refused.exit(), refused.out() + refused.err());
            assertTrue(refused.out().contains("not replayed: PostHog answered 400"), refused.out());
            assertTrue(run("bad-events", "list", "--sink", "posthog", "-c", cfg.toString()).out().contains("replay: PostHog answered 400"));

            fake.cure(forPostHog);
            Run replayed = run("bad-events", "replay", "-c", cfg.toString());
            assertEquals(0, replayed.exit(), replayed.out() + replayed.err());
            assertTrue(replayed.err().contains("2 of 2 replayed"), replayed.err());
            assertTrue(fake.uuids().contains(forPostHog));
            assertEquals(1, testDb.count("SELECT count(*) FROM email_events WHERE event_id = '" + forPostgres + "'"));
            assertEquals(1, testDb.count("SELECT opens_total FROM daily_analytics WHERE tenant_id = '" + TENANT + "'"));

            Run again = run("bad-events", "replay", "-c", cfg.toString());
            assertEquals(0, again.exit(), again.err());
            assertTrue(again.err().contains("0 of 0 replayed"), again.err());
            assertEquals(1, testDb.count("SELECT count(*) FROM email_events WHERE event_id = '" + forPostgres + "'"));
            Run all = run("bad-events", "list", "--all", "-c", cfg.toString());
            assertEquals(2, all.out().lines().filter(l -> l.matches("\\d+ .*")).count(), all.out());
            assertEquals(0, run("bad-events", "list", "-c", cfg.toString()).out().lines().filter(l -> l.matches("\\d+ .*")).count());

            // set aside for retention: not tried by a plain replay, tried when named
            UUID expired = UUID.fromString("01900000-0000-7000-8000-0000000000c3");
            try (Connection c = db.dataSource().getConnection()) {
                byte[] r3 = record(expired, "email-3");
                UncheckedBadEvents.insert(c, "postgres", node, new BadRecord(300, 400, r3, RecordCodec.decode(r3, 0, r3.length),
                        "occurred at ..., before ... (UTC), the oldest day kept", "retention"));
            }
            String attempts = "SELECT attempts FROM bad_events WHERE event_id = '" + expired + "'";
            long attemptsBefore = testDb.count(attempts);
            Run skipped = run("bad-events", "replay", "-c", cfg.toString());
            assertEquals(0, skipped.exit(), skipped.err());
            assertTrue(skipped.err().contains("1 event(s) set aside for retention (error code retention) not tried"), skipped.err());
            assertTrue(skipped.err().contains("0 of 0 replayed"), skipped.err());
            assertEquals(attemptsBefore, testDb.count(attempts), "not tried");
            long expiredId = testDb.count("SELECT bad_event_id FROM bad_events WHERE event_id = '" + expired + "'");
            Run named = run("bad-events", "replay", "--id", Long.toString(expiredId), "-c", cfg.toString());
            assertEquals(0, named.exit(), named.out() + named.err()); // kept forever here: its day takes it
            assertEquals(1, testDb.count("SELECT count(*) FROM email_events WHERE event_id = '" + expired + "'"));

            // Nothing replayed is no success: a PostHog event without a PostHog key, an id that is not waiting
            Run unknown = run("bad-events", "replay", "--id", "999999", "-c", cfg.toString());
            assertEquals(1, unknown.exit(), unknown.err());
            UUID unsent = UUID.fromString("01900000-0000-7000-8000-0000000000d4");
            try (Connection c = db.dataSource().getConnection()) {
                byte[] r4 = record(unsent, "email-4");
                UncheckedBadEvents.insert(c, "posthog", node, new BadRecord(400, 500, r4, RecordCodec.decode(r4, 0, r4.length),
                        "PostHog answered 400", "400"));
            }
            Path noKey = dir.resolve("no-posthog.conf");
            Files.writeString(noKey, "edge.profile = development\nedge.data-dir = \"" + dir.resolve("data") + "\"\n"
                    + "edge.database.url = \"" + testDb.jdbcUrl() + "\"\nedge.database.user = \"postgres\"\n");
            Run withoutKey = run("bad-events", "replay", "-c", noKey.toString());
            assertEquals(1, withoutKey.exit(), withoutKey.err());
            assertTrue(withoutKey.err().contains("1 PostHog event(s) not replayed") && withoutKey.err().contains("0 of 1 replayed"),
                    withoutKey.err());

            Run badSink = run("bad-events", "list", "--sink", "kafka", "-c", cfg.toString());
            assertEquals(2, badSink.exit());
            assertTrue(badSink.err().contains("--sink must be one of"), badSink.err());
        }
    }

    /**
     * A replay, and a listing, read the table a page at a time, the filters in the query: rows past the
     * first page are replayed, those set aside for retention are counted and left untried wherever they
     * are, and {@code --id} finds rows far past the first page.
     */
    @Test
    void replayAndListPageThroughTheRows() throws Exception {
        int before = BadEventsCommand.pageSize;
        BadEventsCommand.pageSize = 3;
        try (TestDatabase testDb = TestDatabase.create(); FakePostHog fake = FakePostHog.start("phc_cli");
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 2)) {
            db.migrate();
            UUID node = UUID.randomUUID();
            List<UUID> toPostgres = new ArrayList<>();
            List<UUID> toPostHog = new ArrayList<>();
            List<UUID> expired = new ArrayList<>();
            try (Connection c = db.dataSource().getConnection()) {
                for (int i = 0; i < 21; i++) {
                    UUID id = new UUID(0x0190000000007000L, 0x8000000000000000L | i);
                    byte[] r = record(id, "email-" + i);
                    EventRecord e = RecordCodec.decode(r, 0, r.length);
                    switch (i % 3) {
                        case 0 -> {
                            toPostgres.add(id);
                            UncheckedBadEvents.insert(c, "postgres", node, new BadRecord(i, i + 1, r, e, "violates check constraint", "23514"));
                        }
                        case 1 -> {
                            expired.add(id);
                            UncheckedBadEvents.insert(c, "postgres", node, new BadRecord(i, i + 1, r, e, "before the oldest day kept", "retention"));
                        }
                        default -> {
                            toPostHog.add(id);
                            UncheckedBadEvents.insert(c, "posthog", node, new BadRecord(i, i + 1, r, e, "PostHog answered 400", "400"));
                        }
                    }
                }
            }
            Path cfg = config(testDb, fake);

            Run list = run("bad-events", "list", "-c", cfg.toString());
            assertEquals(21, rowLines(list), list.out());
            assertTrue(list.err().contains("21 event(s);"), list.err());
            Run some = run("bad-events", "list", "--limit", "8", "-c", cfg.toString());
            assertEquals(8, rowLines(some), some.out());
            assertTrue(some.err().contains("8 event(s) (more with --limit)"), some.err());

            Run replayed = run("bad-events", "replay", "-c", cfg.toString());
            assertEquals(0, replayed.exit(), replayed.out() + replayed.err());
            assertTrue(replayed.err().contains("7 event(s) set aside for retention (error code retention) not tried"), replayed.err());
            assertTrue(replayed.err().contains("14 of 14 replayed"), replayed.err());
            for (UUID id : toPostgres) {
                assertEquals(1, testDb.count("SELECT count(*) FROM email_events WHERE event_id = '" + id + "'"), id.toString());
            }
            assertTrue(fake.uuids().containsAll(toPostHog), fake.uuids().toString());
            assertEquals(7, testDb.count("SELECT count(*) FROM bad_events WHERE replayed_at IS NULL AND attempts = 1"
                    + " AND error_code = 'retention'"), "not tried");

            // The last two set aside for retention, pages past the first of the table.
            List<Long> named = List.of(idOf(testDb, expired.get(5)), idOf(testDb, expired.get(6)));
            Run byId = run("bad-events", "replay", "--id", named.get(0) + "," + named.get(1), "-c", cfg.toString());
            assertEquals(0, byId.exit(), byId.out() + byId.err());
            assertTrue(byId.err().contains("2 of 2 replayed"), byId.err());
            assertEquals(2, testDb.count("SELECT count(*) FROM email_events WHERE event_id IN ('" + expired.get(5) + "', '"
                    + expired.get(6) + "')"));
            assertEquals(5, testDb.count("SELECT count(*) FROM bad_events WHERE replayed_at IS NULL"), "the other five wait");
        } finally {
            BadEventsCommand.pageSize = before;
        }
    }

    /**
     * The packaged command in a 64 MiB heap, beside 100,000 rows set aside for retention with records of
     * 800 bytes (a sink days behind retention sets aside one per event): {@code replay} used to read every row
     * waiting, records included, before it left those out, and {@code replay --id} and {@code list --limit}
     * did the same; each ran out of memory (512 MiB in production, for about a million rows).
     */
    @Test
    void rowsSetAsideForRetentionDoNotRunTheCommandOutOfMemory() throws Exception {
        int rows = 100_000;
        try (TestDatabase testDb = TestDatabase.create();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 2)) {
            db.migrate();
            UUID expired = UUID.fromString("01900000-0000-7000-8000-0000000000e5");
            try (Connection c = db.dataSource().getConnection(); java.sql.PreparedStatement s = c.prepareStatement(
                    "INSERT INTO bad_events (sink, edge_node, journal_position, event_id, tenant_id, event_type, record, error, error_code)"
                            + " SELECT 'postgres', ?, g, CASE WHEN g = ? THEN ?::uuid ELSE gen_random_uuid() END, ?, 'open', ?,"
                            + " 'occurred at ..., before ... (UTC), the oldest day kept', 'retention' FROM generate_series(1, ?) g")) {
                s.setObject(1, UUID.randomUUID());
                s.setInt(2, rows);
                s.setObject(3, expired);
                s.setObject(4, TENANT);
                s.setBytes(5, record(expired, "e".repeat(FieldsCodec.MAX_STR8), "u".repeat(MutableEvent.MAX_USER_AGENT)));
                s.setInt(6, rows);
                s.executeUpdate();
                c.createStatement().execute("ANALYZE bad_events"); // as autovacuum would after such an insert
            }
            Path cfg = config(testDb, null);

            Child replay = child(cfg, "bad-events", "replay");
            assertEquals(0, replay.exit(), replay.output());
            assertTrue(replay.output().contains(rows + " event(s) set aside for retention (error code retention) not tried"), replay.output());
            assertTrue(replay.output().contains("0 of 0 replayed"), replay.output());

            Child list = child(cfg, "bad-events", "list", "--limit", "1000000");
            assertEquals(0, list.exit(), list.output().substring(Math.max(0, list.output().length() - 2000)));
            assertTrue(list.output().contains(rows + " event(s);"), list.output().substring(list.output().length() - 500));

            long last = testDb.count("SELECT max(bad_event_id) FROM bad_events");
            Child byId = child(cfg, "bad-events", "replay", "--id", Long.toString(last));
            assertEquals(0, byId.exit(), byId.output());
            assertTrue(byId.output().contains("1 of 1 replayed"), byId.output());
            assertEquals(1, testDb.count("SELECT count(*) FROM email_events WHERE event_id = '" + expired + "'"));
        }
    }

    private record Child(int exit, String output) {
    }

    /** {@code java -jar edge.jar args...} in a 64 MiB heap, its output and errors together. */
    private Child child(Path cfg, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(io.trackedge.fault.EdgeProcess.javaBinary(), "-Xmx64m", "-XX:+UseParallelGC",
                "--enable-native-access=ALL-UNNAMED", "-jar", io.trackedge.fault.EdgeProcess.jar().toString()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("-c", cfg.toString()));
        Path output = Files.createTempFile(dir, "child-", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("EDGE_"));
        Process p = pb.start();
        if (!p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("still running after 120 s: " + cmd);
        }
        return new Child(p.exitValue(), Files.readString(output));
    }

    /** A configuration on {@code testDb}, with PostHog at {@code fake} (none when null). */
    private Path config(TestDatabase testDb, FakePostHog fake) throws Exception {
        Path cfg = Files.createTempFile(dir, "edge-", ".conf");
        Files.writeString(cfg, "edge.profile = development\nedge.data-dir = \"" + dir.resolve("data") + "\"\n"
                + "edge.database.url = \"" + testDb.jdbcUrl() + "\"\nedge.database.user = \"postgres\"\n"
                + (fake == null ? "" : "edge.sink.posthog.api-key = \"phc_cli\"\nedge.sink.posthog.host = \"" + fake.host() + "\"\n"));
        return cfg;
    }

    private static long rowLines(Run run) {
        return run.out().lines().filter(l -> l.matches("\\d+ .*")).count();
    }

    private static long idOf(TestDatabase testDb, UUID eventId) throws Exception {
        return testDb.count("SELECT bad_event_id FROM bad_events WHERE event_id = '" + eventId + "'");
    }
}
