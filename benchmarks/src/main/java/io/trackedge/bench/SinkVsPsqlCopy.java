package io.trackedge.bench;

import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.MutableEvent;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkStats;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.postgres.PostgresSink;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.UUID;
import org.postgresql.PGConnection;

/**
 * Rows per second into {@code email_events}: our sink (journal to binary COPY, with first-touch
 * inserts, daily upserts and the cursor in each transaction) beside {@code psql \copy} of the same
 * rows into the same, indexed table. After a warm-up round that is not counted, rounds alternate
 * A B A B on one database; medians and their ratio are printed, with a JSON line for machines.
 *
 * <pre>java -cp benchmarks.jar io.trackedge.bench.SinkVsPsqlCopy [events] [rounds]</pre>
 */
public final class SinkVsPsqlCopy {

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 300_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        String host = System.getenv().getOrDefault("BENCH_PG_HOST", "127.0.0.1");
        String port = System.getenv().getOrDefault("BENCH_PG_PORT", "5432");
        String dbName = "trackedge_bench_" + Long.toHexString(System.nanoTime() & 0xFFFFFF);
        String admin = "jdbc:postgresql://" + host + ":" + port + "/postgres";
        try (Connection c = DriverManager.getConnection(admin, "postgres", null); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + dbName);
        }
        String url = "jdbc:postgresql://" + host + ":" + port + "/" + dbName;
        Path work = Files.createTempDirectory("sink-bench-");
        try (Database db = new Database(new PostgresConnectionInfo(url, "postgres", null), 2)) {
            db.migrate();
            Path journal = work.resolve("journal");
            long end = writeJournal(journal, events);
            Path copyFile = work.resolve("events.copy");
            List<Double> sink = new ArrayList<>();
            List<Double> psql = new ArrayList<>();
            // Round 0 warms both up (the sink's code through the JIT, PostgreSQL's caches) and is not counted.
            for (int r = 0; r <= rounds; r++) {
                truncate(url);
                double sinkRate = SinkRun.eventsPerSecond(db, journal, end, events, Duration.ofMinutes(10));
                if (r == 0) {
                    exportRows(url, copyFile);
                }
                truncate(url);
                double psqlRate = runPsql(host, port, dbName, copyFile, events);
                if (r > 0) {
                    sink.add(sinkRate);
                    psql.add(psqlRate);
                }
                System.out.printf(Locale.ROOT, "%s: sink %.0f rows/s, psql \\copy %.0f rows/s%n",
                        r == 0 ? "warm-up (not counted)" : "round " + r, sinkRate, psqlRate);
            }
            double ms = median(sink);
            double mp = median(psql);
            System.out.printf(Locale.ROOT, "%nsink median %.0f rows/s, psql \\copy median %.0f rows/s, ratio %.2f (%d events, %d rounds)%n",
                    ms, mp, ms / mp, events, rounds);
            System.out.printf(Locale.ROOT, "{\"benchmark\":\"sink_vs_psql_copy\",\"events\":%d,\"rounds\":%d,"
                    + "\"sink_rows_per_s\":%s,\"psql_rows_per_s\":%s,\"sink_median\":%.0f,\"psql_median\":%.0f,\"ratio\":%.3f}%n",
                    events, rounds, sink, psql, ms, mp, ms / mp);
        } finally {
            try (Connection c = DriverManager.getConnection(admin, "postgres", null); Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + dbName + " WITH (FORCE)");
            }
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
                EventType type = random.nextInt(10) < 7 ? EventType.OPEN : EventType.CLICK;
                long now = System.currentTimeMillis();
                e.reset(type, (now << 16) | 0x7000L | (i & 0xFFF), random.nextLong() & 0x3FFFFFFFFFFFFFFFL | 0x8000000000000000L, now * 1000);
                byte[] block = FieldsCodec.encode(new EventFields(tenants[email % 3], user, "campaign-" + (email % 50),
                        "mailbox-" + (email % 20), "email-" + email, "lead-" + email, "step-" + (email % 4), null));
                e.fields(block, 0, block.length);
                e.ip(new byte[] {(byte) 192, (byte) 168, (byte) (email >> 8), (byte) email}, 4);
                e.userAgent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36");
                e.flags(random.nextInt(20) == 0 ? EventRecord.FLAG_HEAD : 0);
                if (type == EventType.CLICK) {
                    byte[] u = ("https://example.com/landing/" + (email % 100) + "?utm_source=email").getBytes();
                    e.url(u, 0, u.length);
                }
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
            // email_events is partitioned: COPY TO needs the SELECT form
            c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY (SELECT * FROM email_events) TO STDOUT", out);
        }
    }

    private static double runPsql(String host, String port, String db, Path file, int events) throws Exception {
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder("psql", "-h", host, "-p", port, "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1",
                "-c", "\\copy email_events FROM '" + file + "'").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0 || !out.contains("COPY " + events)) {
            throw new IllegalStateException("psql failed: " + out);
        }
        return events / ((System.nanoTime() - t0) / 1e9);
    }

    private static void truncate(String url) throws Exception {
        try (Connection c = DriverManager.getConnection(url, "postgres", null); Statement s = c.createStatement()) {
            s.execute("TRUNCATE email_events, email_opens, email_clicks, daily_analytics, sink_cursors");
            s.execute("CHECKPOINT");
        }
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }
}
