package io.trackedge.bench;

import io.trackedge.jobs.Period;
import io.trackedge.jobs.RollUp;
import io.trackedge.jobs.rollup.RollUps;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventType;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.MutableEvent;
import io.trackedge.sink.SinkStats;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.postgres.PostgresSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The daily roll-ups over a day of raw events (issue 12):
 *
 * <pre>
 *   RawDayLoader ──▶ email_events (yesterday's partition, N rows)
 *                    email_opens / email_clicks / email_human_opens (first touches)
 *                               daily_analytics (filled by one reconciliation, not timed)
 *   then, timed one after another, each for yesterday and every tenant:
 *     campaign · mailbox · lead · sequence_step · warmup analytics, daily_reconcile, billing (month)
 *   then the sink beside a roll-up: journal ─▶ PostgresSink rows/s, alone vs with roll-ups looping
 *   (daily_reconcile first in the loop)
 * </pre>
 *
 * For each roll-up: wall time, CPU seconds of the PostgreSQL backend that ran it (from
 * {@code /proc/<pid>/stat}; parallel query is off so that one backend does all the work, and "per
 * core" means per CPU second), CPU of this JVM, and raw rows per second of wall time and per CPU
 * second. Prints a table and a JSON line.
 *
 * <pre>java -cp benchmarks.jar io.trackedge.bench.RollUpBenchmark [events=10000000] [sinkEvents=200000]</pre>
 * Environment: BENCH_PG_HOST / BENCH_PG_PORT (default 127.0.0.1:5432), BENCH_KEEP_DB=1 keeps the database.
 */
public final class RollUpBenchmark {

    private static final int TENANTS = RawDayLoader.TENANTS;

    public static void main(String[] args) throws Exception {
        long events = args.length > 0 ? Long.parseLong(args[0]) : 10_000_000L;
        int sinkEvents = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
        BenchDatabase scratch = BenchDatabase.create("trackedge_rollup_bench_");
        String url = scratch.url();
        LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(1);
        try (Database db = new Database(new PostgresConnectionInfo(url, "postgres", null), 4)) {
            db.migrate();
            try (Connection c = DriverManager.getConnection(url, "postgres", null)) {
                System.out.println("load average at start: " + Files.readString(Path.of("/proc/loadavg")).trim());
                load(c, day, events);
                List<String> json = new ArrayList<>();
                System.out.printf(Locale.ROOT, "%n%-24s %9s %9s %9s %14s %16s%n", "roll-up", "wall s", "pg cpu s", "jvm cpu s",
                        "rows/s (wall)", "rows/s per core");
                for (RollUp r : RollUps.all()) {
                    Period p = r.jobType().equals("billing_analytics") ? Period.monthOf(java.time.YearMonth.from(day))
                            : Period.dayOf(day);
                    json.add(measure(c, r, p, events));
                }
                double[] sink = sinkBesideRollUps(db, url, day, sinkEvents);
                System.out.printf(Locale.ROOT, "%nsink alone: %.0f rows/s; sink while roll-ups loop on yesterday: %.0f rows/s (%.0f %%)%n",
                        sink[0], sink[1], 100 * sink[1] / sink[0]);
                System.out.println("load average at end: " + Files.readString(Path.of("/proc/loadavg")).trim());
                System.out.printf(Locale.ROOT, "{\"benchmark\":\"rollups\",\"events\":%d,\"cores\":%d,\"rollups\":[%s],"
                        + "\"sink_alone_rows_per_s\":%.0f,\"sink_with_rollups_rows_per_s\":%.0f}%n",
                        events, Runtime.getRuntime().availableProcessors(), String.join(",", json), sink[0], sink[1]);
            }
        } finally {
            if (!"1".equals(System.getenv("BENCH_KEEP_DB"))) {
                scratch.drop();
            }
        }
    }

    /**
     * N raw events on {@code day} and their first touches ({@link RawDayLoader}), and daily_analytics
     * as the sink would have left it. Package-private: {@link StatsQueryBenchmark} loads the same day.
     */
    static void load(Connection c, LocalDate day, long n) throws Exception {
        RawDayLoader.load(c, day, n);
        long t1 = System.nanoTime();
        RollUps.runCommitted(c, RollUps.reconciliation(), Period.dayOf(day), null);
        System.out.printf(Locale.ROOT, "daily_analytics filled by a first reconciliation in %.1f s (not in the table below)%n",
                (System.nanoTime() - t1) / 1e9);
    }

    private static String measure(Connection c, RollUp r, Period p, long events) throws Exception {
        long backend;
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            backend = rs.getLong(1);
        }
        double pg0 = ProcCpu.seconds(backend);
        double jvm0 = ProcCpu.jvmSeconds();
        long t0 = System.nanoTime();
        RollUps.runCommitted(c, r, p, null);
        double wall = (System.nanoTime() - t0) / 1e9;
        double pg = ProcCpu.seconds(backend) - pg0;
        double jvm = ProcCpu.jvmSeconds() - jvm0;
        double perCore = events / Math.max(0.01, pg + jvm);
        System.out.printf(Locale.ROOT, "%-24s %9.2f %9.2f %9.2f %14.0f %16.0f%n", r.jobType(), wall, pg, jvm, events / wall, perCore);
        return String.format(Locale.ROOT, "{\"job\":\"%s\",\"wall_s\":%.3f,\"pg_cpu_s\":%.2f,\"jvm_cpu_s\":%.2f,"
                + "\"rows_per_s\":%.0f,\"rows_per_cpu_s\":%.0f}", r.jobType(), wall, pg, jvm, events / wall, perCore);
    }

    /**
     * Sink rows/s into today's partition, alone and while the daily roll-ups loop over yesterday,
     * alternated A B A B after a warm-up run that is not counted; each run writes different events
     * and emails, so every run does the same work. Returns the medians {alone, beside}.
     */
    private static double[] sinkBesideRollUps(Database db, String url, LocalDate day, int events) throws Exception {
        int rounds = 2;
        List<Double> alone = new ArrayList<>();
        List<Double> beside = new ArrayList<>();
        int run = 0;
        runSink(db, journal(events, run++), events);
        for (int r = 0; r < rounds; r++) {
            alone.add(runSink(db, journal(events, run++), events));
            Journal next = journal(events, run++);
            AtomicBoolean stop = new AtomicBoolean();
            java.util.concurrent.atomic.AtomicReference<Exception> failed = new java.util.concurrent.atomic.AtomicReference<>();
            Thread looper = new Thread(() -> {
                try (Connection c = DriverManager.getConnection(url, "postgres", null)) {
                    // the reconciliation first: its table lock is what could hold the sink back
                    List<RollUp> loop = new ArrayList<>(RollUps.all());
                    loop.sort(java.util.Comparator.comparing(rollUp -> !rollUp.jobType().equals("daily_reconcile")));
                    while (!stop.get()) {
                        for (RollUp rollUp : loop) {
                            if (!stop.get() && !rollUp.jobType().equals("billing_analytics")) {
                                RollUps.runCommitted(c, rollUp, Period.dayOf(day), null);
                            }
                        }
                    }
                } catch (Exception e) {
                    failed.set(e);
                }
            }, "rollup-loop");
            looper.start();
            Thread.sleep(1000); // the loop is into its first roll-up
            try {
                beside.add(runSink(db, next, events));
            } finally {
                stop.set(true);
                looper.join();
            }
            if (failed.get() != null) {
                throw new IllegalStateException("the roll-up loop failed", failed.get());
            }
            System.out.printf(Locale.ROOT, "sink round %d: alone %.0f rows/s, beside roll-ups %.0f rows/s%n", r + 1,
                    alone.get(r), beside.get(r));
        }
        return new double[] {Medians.of(alone), Medians.of(beside)};
    }

    private record Journal(Path dir, long end) {
    }

    private static Journal journal(int events, int run) throws Exception {
        Path dir = Files.createTempDirectory("rollup-bench-journal-");
        return new Journal(dir, writeJournal(dir, events, run));
    }

    private static long writeJournal(Path dir, int events, int run) throws Exception {
        Random random = new Random(run);
        UUID user = UUID.randomUUID();
        MutableEvent e = new MutableEvent();
        try (JournalWriter w = JournalWriter.open(dir, 64L << 20, 1L << 40, new JournalStats())) {
            for (int i = 0; i < events; i++) {
                int email = random.nextInt(events / 3 + 1);
                EventType type = random.nextInt(10) < 7 ? EventType.OPEN : EventType.CLICK;
                long now = System.currentTimeMillis();
                e.reset(type, (now << 16) | 0x7000L | (i & 0xFFF), random.nextLong() & 0x3FFFFFFFFFFFFFFFL | 0x8000000000000000L, now * 1000);
                byte[] block = FieldsCodec.encode(new EventFields(new UUID(0x1234, email % TENANTS), user, "campaign-" + (email % 50),
                        "mailbox-" + (email % 20), "live-" + run + "-email-" + email, "lead-" + email, "step-" + (email % 4), null));
                e.fields(block, 0, block.length);
                e.ip(new byte[] {(byte) 192, (byte) 168, (byte) (email >> 8), (byte) email}, 4);
                e.userAgent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36");
                if (type == EventType.CLICK) {
                    byte[] u = ("https://example.com/landing/" + (email % 100)).getBytes();
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

    private static double runSink(Database db, Journal j, int events) throws Exception {
        Path journal = j.dir();
        long end = j.end();
        SinkStats stats = new SinkStats();
        io.trackedge.sink.SinkLoop sink = new io.trackedge.sink.SinkLoop(
                new PostgresSink(db, UUID.randomUUID(), new PostgresSink.Settings(false, 0)), journal, () -> end,
                new io.trackedge.sink.SinkLoopSettings(10_000, Duration.ofMillis(5), Duration.ofMillis(100), Duration.ofSeconds(1),
                        Duration.ofMinutes(20), Integer.MAX_VALUE), stats, p -> { });
        long t0 = System.nanoTime();
        sink.start();
        while (stats.committedPosition.get() < end) {
            Thread.sleep(2);
            if (System.nanoTime() - t0 > Duration.ofMinutes(20).toNanos()) {
                throw new IllegalStateException("sink did not finish: " + sink.health().lastError());
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        sink.stop(Duration.ofSeconds(5));
        try (var files = Files.walk(journal)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
        return events / seconds;
    }
}
