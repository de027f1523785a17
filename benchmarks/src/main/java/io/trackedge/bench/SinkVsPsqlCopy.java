package io.trackedge.bench;

import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.MutableEvent;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.UUID;
import org.postgresql.PGConnection;

/**
 * Rows per second into {@code email_event_rows} (the table under the {@code email_events} view), three
 * ways over the same rows: (a) our sink (journal to binary COPY, with the dictionaries' new entries,
 * first-touch inserts, daily upserts and the cursor in each transaction), (b) {@code psql \copy} (COPY's
 * text format) of the rows as the sink stored them (codes, context ids) into the same partitioned,
 * indexed table, and (c) the same
 * {@code psql \copy} into {@value #PK_ONLY}, a plain table with the same columns and only the primary
 * key. (c) is the ceiling the table itself sets: b/c is what its partitioning and indexes cost, a/b
 * what the sink costs beyond that. After a warm-up round that is not counted, rounds alternate
 * A B C A B C on one database, the sink's own warm-up rounds ({@link #warmUp}) before them; medians and the ratios a/b and b/c are printed, with a JSON line for
 * machines ({@code benchmarks/bench} step 3 reads it). For (a) also the CPU per event of this JVM and of
 * the sink's PostgreSQL backends (from /proc: PostgreSQL must run on this machine); {@code psql}'s
 * backend exits with it, so (b) and (c) have none. Every round of (a) starts from empty tables, the
 * first-touch ones included.
 *
 * <pre>java -cp benchmarks.jar io.trackedge.bench.SinkVsPsqlCopy [events] [rounds]</pre>
 */
public final class SinkVsPsqlCopy {

    /** (c)'s table: email_event_rows' columns and defaults, a primary key (tenant_id, event_id, occurred_at), unpartitioned, no other index. */
    static final String PK_ONLY = "email_events_pk_only";
    /** Every table the sink writes for these events: each round of (a) starts from none of its rows. */
    private static final String SINK_TABLES =
            "email_event_rows, event_contexts, email_opens, email_clicks, email_human_opens, daily_analytics, sink_cursors, user_agents";

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 300_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        BenchDatabase scratch = BenchDatabase.create("trackedge_bench_");
        String host = scratch.host();
        String port = scratch.port();
        String dbName = scratch.name();
        String url = scratch.url();
        Path work = Files.createTempDirectory("sink-bench-");
        try (Database db = new Database(new PostgresConnectionInfo(url, "postgres", null), 2)) {
            db.migrate();
            Path journal = work.resolve("journal");
            long end = writeJournal(journal, events);
            Path copyFile = work.resolve("events.copy");
            try (Connection c = DriverManager.getConnection(url, "postgres", null); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE " + PK_ONLY + " (LIKE email_event_rows INCLUDING DEFAULTS, "
                        + "PRIMARY KEY (tenant_id, event_id, occurred_at))");
            }
            List<Double> sink = new ArrayList<>();
            List<Double> psql = new ArrayList<>();
            List<Double> pkOnly = new ArrayList<>();
            List<Double> sinkJvm = new ArrayList<>();
            List<Double> sinkPg = new ArrayList<>();
            System.out.printf(Locale.ROOT, "load average at start: %s%n", loadAverage());
            int warmUps = warmUp(db, url, journal, end, events);
            // Round 0 warms the other two up (PostgreSQL's caches) and is not counted.
            for (int r = 0; r <= rounds; r++) {
                truncate(url, SINK_TABLES);
                long compiling0 = compileMillis();
                SinkRun.Measured m = SinkRun.measure(db, url, journal, end, events, Duration.ofMinutes(10));
                long compiled = compileMillis() - compiling0;
                double sinkRate = m.eventsPerSecond();
                if (r == 0) {
                    exportRows(url, copyFile);
                }
                truncate(url, SINK_TABLES);
                double psqlRate = runPsql(host, port, dbName, "email_event_rows", copyFile, events);
                truncate(url, PK_ONLY);
                double pkRate = runPsql(host, port, dbName, PK_ONLY, copyFile, events);
                if (r > 0) {
                    sink.add(sinkRate);
                    psql.add(psqlRate);
                    pkOnly.add(pkRate);
                    sinkJvm.add(m.jvmMicrosPerEvent());
                    sinkPg.add(m.pgMicrosPerEvent());
                }
                System.out.printf(Locale.ROOT, "%s: (a) sink %.0f rows/s (CPU per event: JVM %.1f us, PostgreSQL %.1f us; JIT %d ms), "
                        + "(b) psql \\copy %.0f rows/s, (c) psql \\copy pk-only %.0f rows/s (load %s); (a)'s PostgreSQL backends: %s%n",
                        r == 0 ? "warm-up (not counted)" : "round " + r, sinkRate, m.jvmMicrosPerEvent(), m.pgMicrosPerEvent(), compiled,
                        psqlRate, pkRate, loadAverage(), m.pgPids().stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(",")));
            }
            double ms = Medians.of(sink);
            double mp = Medians.of(psql);
            double mk = Medians.of(pkOnly);
            System.out.printf(Locale.ROOT, "%nmedians: (a) sink %.0f, (b) psql \\copy %.0f, (c) psql \\copy into %s %.0f rows/s; "
                    + "a/b %.2f, b/c %.2f, a/c %.2f (%d events, %d rounds); sink CPU per event: JVM %.1f us, PostgreSQL %.1f us%n",
                    ms, mp, PK_ONLY, mk, ms / mp, mp / mk, ms / mk, events, rounds, Medians.of(sinkJvm), Medians.of(sinkPg));
            // ratio stays a/b under its old name, so older result files and readers keep their meaning
            System.out.printf(Locale.ROOT, "{\"benchmark\":\"sink_vs_psql_copy\",\"events\":%d,\"rounds\":%d,"
                    + "\"sink_rows_per_s\":%s,\"psql_rows_per_s\":%s,\"pk_only_rows_per_s\":%s,\"sink_median\":%.0f,"
                    + "\"psql_median\":%.0f,\"pk_only_median\":%.0f,\"ratio\":%.3f,\"psql_over_pk_only\":%.3f,"
                    + "\"sink_over_pk_only\":%.3f,\"sink_jvm_us_per_event\":%.2f,\"sink_pg_us_per_event\":%.2f,\"sink_warm_ups\":%d}%n",
                    events, rounds, sink, psql, pkOnly, ms, mp, mk, ms / mp, mp / mk, ms / mk, Medians.of(sinkJvm), Medians.of(sinkPg),
                    warmUps);
        } finally {
            scratch.drop();
        }
    }

    /** Sink rounds run before any counted one, at most: each a whole pass over the journal. */
    static final int MAX_WARM_UPS = 6;

    /**
     * Runs the sink alone, uncounted, until the JIT has settled: a round whose compilers' time was under a
     * fifth of its own (they never quite stop: 40 to 230 ms a 1 s round after the sixth), or
     * {@value #MAX_WARM_UPS} rounds. One warm-up round was not enough: with
     * 100,000 events the C2 compiler was still at work in the first counted round, whose sink rate was
     * 0.8x the next rounds' and its JVM CPU per event 2.5x (docs/benchmarks.md, 2026-12-06). An edge's
     * sink runs for days; the steady state is what row 8 compares with {@code psql}.
     *
     * @return the rounds run
     */
    static int warmUp(Database db, String url, Path journal, long end, int events) throws Exception {
        for (int n = 1; ; n++) {
            truncate(url, SINK_TABLES);
            long compiling0 = compileMillis();
            long t0 = System.nanoTime();
            SinkRun.Measured m = SinkRun.measure(db, url, journal, end, events, Duration.ofMinutes(10));
            long compiled = compileMillis() - compiling0;
            long wallMillis = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf(Locale.ROOT, "sink warm-up %d (not counted): %.0f rows/s, JVM %.1f us an event, JIT %d ms of %d ms%n",
                    n, m.eventsPerSecond(), m.jvmMicrosPerEvent(), compiled, wallMillis);
            if (compiled * 5 < wallMillis || n == MAX_WARM_UPS) {
                return n;
            }
        }
    }

    /** This JVM's compilers' time so far, in ms (their threads' time added up). */
    private static long compileMillis() {
        return java.lang.management.ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
    }

    /**
     * The sink workload's event {@code i}: 70 % opens, 30 % clicks, 5 % HEAD, of {@code email} of
     * {@code tenant}, with a real browser's User-Agent. {@link ManyTenantsJournal} writes the same.
     */
    static void fillEvent(MutableEvent e, int i, int email, UUID tenant, UUID user, Random random) {
        EventType type = random.nextInt(10) < 7 ? EventType.OPEN : EventType.CLICK;
        long now = System.currentTimeMillis();
        e.reset(type, (now << 16) | 0x7000L | (i & 0xFFF), random.nextLong() & 0x3FFFFFFFFFFFFFFFL | 0x8000000000000000L, now * 1000);
        byte[] block = FieldsCodec.encode(new EventFields(tenant, user, "campaign-" + (email % 50),
                "mailbox-" + (email % 20), "email-" + email, "lead-" + email, "step-" + (email % 4), null));
        e.fields(block, 0, block.length);
        e.ip(new byte[] {(byte) 192, (byte) 168, (byte) (email >> 8), (byte) email}, 4);
        e.userAgent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36");
        e.flags(random.nextInt(20) == 0 ? EventRecord.FLAG_HEAD : 0);
        if (type == EventType.CLICK) {
            byte[] u = ("https://example.com/landing/" + (email % 100) + "?utm_source=email").getBytes();
            e.url(u, 0, u.length);
        }
    }

    static long writeJournal(Path dir, int events) throws Exception {
        Random random = new Random(7);
        UUID[] tenants = {UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID()};
        UUID user = UUID.randomUUID();
        MutableEvent e = new MutableEvent();
        try (JournalWriter w = JournalWriter.open(dir, 64L << 20, 1L << 40, new JournalStats())) {
            for (int i = 0; i < events; i++) {
                int email = random.nextInt(events / 3 + 1);
                fillEvent(e, i, email, tenants[email % 3], user, random);
                w.tryAppend(e);
                if (i % 1000 == 999) {
                    w.flush();
                }
            }
            w.flush();
            return w.flushedPosition();
        }
    }

    private static void exportRows(String url, Path file) throws Exception {
        try (Connection c = DriverManager.getConnection(url, "postgres", null); OutputStream out = Files.newOutputStream(file)) {
            // the rows as stored (codes, context ids); email_event_rows is partitioned: COPY TO needs the SELECT form
            c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY (SELECT * FROM email_event_rows) TO STDOUT", out);
        }
    }

    private static double runPsql(String host, String port, String db, String table, Path file, int events) throws Exception {
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder("psql", "-h", host, "-p", port, "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1",
                "-c", "\\copy " + table + " FROM '" + file + "'").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0 || !out.contains("COPY " + events)) {
            throw new IllegalStateException("psql failed: " + out);
        }
        return events / ((System.nanoTime() - t0) / 1e9);
    }

    private static void truncate(String url, String tables) throws Exception {
        try (Connection c = DriverManager.getConnection(url, "postgres", null); Statement s = c.createStatement()) {
            s.execute("TRUNCATE " + tables);
            s.execute("CHECKPOINT");
        }
    }

    private static String loadAverage() throws java.io.IOException {
        String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
        return f[0] + " " + f[1] + " " + f[2];
    }
}
