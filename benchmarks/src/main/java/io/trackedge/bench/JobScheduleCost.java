package io.trackedge.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.trackedge.JobTypes;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.jobs.Granularity;
import io.trackedge.jobs.JobRegistry;
import io.trackedge.jobs.Period;
import io.trackedge.jobs.rollup.RollUps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What the jobs of the default schedule ({@link JobTypes#registry}, as {@code serve} runs them) cost
 * PostgreSQL per event of a day: the cost table's row 10, beside what the sink's own statements cost
 * to write the event (row 2's PostgreSQL part).
 *
 * <pre>
 *   DayReplay: yesterday's partition, N events spread evenly over the day, set aside
 *   for each hour h: the events of hour h put back, then every job scheduled hourly, for hour h
 *   daily_analytics filled as the sink would have (one reconciliation, not counted)
 *   then every job scheduled daily, for the day (the roll-ups' day jobs, retention, compact_events)
 * </pre>
 *
 * The one type whose day job recounts more than its day, {@code billing_analytics} (the month to
 * date), is measured over this one day and scaled: in a month of {@value #MONTH_DAYS} days an event
 * is recounted by its own day's job and each later day's, {@code (MONTH_DAYS + 1) / 2} on average,
 * and once more by the month's job, if every day carries as many events. Every other figure is
 * measured. PostgreSQL CPU seconds ({@code /proc/<pid>/stat}) of the two backends that run the jobs:
 * the runner's, and the one {@code compact_events} rebuilds indexes on (parallel workers off on both).
 *
 * <pre>java -cp benchmarks.jar io.trackedge.bench.JobScheduleCost [events=1000000]</pre>
 * Prints a table and one JSON line ({@code "benchmark":"job_schedule"}). Environment: BENCH_PG_HOST /
 * BENCH_PG_PORT (default 127.0.0.1:5432), BENCH_KEEP_DB=1 keeps the database.
 */
public final class JobScheduleCost {

    static final int MONTH_DAYS = 30;

    /** One job type's PostgreSQL CPU seconds: its 24 hour jobs, its day job, and how often a month counts an event. */
    private record Cost(String schedule, double hours, double day, double monthFactor) {
        double perEvent(long events) {
            return 1e6 * (hours + day * monthFactor) / events;
        }
    }

    public static void main(String[] args) throws Exception {
        long events = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000L;
        BenchDatabase scratch = BenchDatabase.create("trackedge_schedule_bench_");
        LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(1);
        HikariConfig own = new HikariConfig();
        own.setJdbcUrl(scratch.url());
        own.setUsername("postgres");
        own.setMaximumPoolSize(1); // one backend, whose CPU is read
        own.setMaxLifetime(0); // and the same one throughout
        own.setConnectionInitSql("SET max_parallel_maintenance_workers = 0");
        try (Database db = new Database(new PostgresConnectionInfo(scratch.url(), "postgres", null), 2);
             HikariDataSource compaction = new HikariDataSource(own)) {
            db.migrate();
            try (Connection c = DriverManager.getConnection(scratch.url(), "postgres", null); Statement s = c.createStatement()) {
                System.out.println("load average at start: " + Files.readString(Path.of("/proc/loadavg")).trim());
                DayReplay replay = DayReplay.load(c, s, day, events);
                s.execute("SET max_parallel_workers_per_gather = 0");
                JobRegistry registry = JobTypes.registry(0, compaction);
                long[] backends = {backend(c), backend(compaction)};
                Map<String, double[]> seconds = new LinkedHashMap<>();
                registry.all().forEach(t -> seconds.put(t.name(), new double[2]));
                for (int h = 0; h < 24; h++) {
                    replay.putBack(h);
                    for (JobRegistry.JobType t : registry.scheduledFor(Granularity.HOUR)) {
                        seconds.get(t.name())[0] += cpu(c, backends, t, Period.hourOf(replay.hour(h)));
                    }
                }
                // daily_analytics as the sink leaves it (RawDayLoader writes raw rows only): the day's
                // reconciliation then checks a table that agrees, as it does in production, not repairs every row
                RollUps.runCommitted(c, RollUps.reconciliation(), Period.dayOf(day), null);
                for (JobRegistry.JobType t : registry.scheduledFor(Granularity.DAY)) {
                    seconds.get(t.name())[1] = cpu(c, backends, t, Period.dayOf(day));
                }
                System.out.println("load average at end: " + Files.readString(Path.of("/proc/loadavg")).trim());
                Map<String, Cost> costs = new LinkedHashMap<>();
                for (JobRegistry.JobType t : registry.all()) {
                    double[] k = seconds.get(t.name());
                    boolean monthly = t.schedule().contains(Granularity.MONTH);
                    costs.put(t.name(), new Cost(t.schedule().stream().map(Granularity::label).sorted().collect(Collectors.joining(",")),
                            k[0], k[1], monthly ? (MONTH_DAYS + 1) / 2.0 + 1 : 1));
                }
                print(costs, events);
            }
        } finally {
            if (!"1".equals(System.getenv("BENCH_KEEP_DB"))) {
                scratch.drop();
            }
        }
    }

    private static void print(Map<String, Cost> costs, long events) {
        System.out.printf(Locale.ROOT, "%n%-24s %-12s %10s %10s %8s %12s%n", "job", "schedule", "hours s", "day s", "x day", "µs/event");
        List<String> json = new ArrayList<>();
        double total = 0;
        for (Map.Entry<String, Cost> e : costs.entrySet()) {
            Cost k = e.getValue();
            total += k.perEvent(events);
            System.out.printf(Locale.ROOT, "%-24s %-12s %10.2f %10.2f %8.1f %12.2f%n", e.getKey(), k.schedule(), k.hours(), k.day(),
                    k.monthFactor(), k.perEvent(events));
            json.add(String.format(Locale.ROOT, "{\"job\":\"%s\",\"schedule\":\"%s\",\"hours_pg_cpu_s\":%.3f,\"day_pg_cpu_s\":%.3f,"
                    + "\"day_factor\":%.1f,\"us_per_event\":%.3f}", e.getKey(), k.schedule(), k.hours(), k.day(), k.monthFactor(),
                    k.perEvent(events)));
        }
        System.out.printf(Locale.ROOT, "%-24s %-12s %10s %10s %8s %12.2f%n", "all", "", "", "", "", total);
        System.out.printf(Locale.ROOT, "{\"benchmark\":\"job_schedule\",\"events\":%d,\"month_days\":%d,\"us_per_event\":%.3f,\"jobs\":[%s]}%n",
                events, MONTH_DAYS, total, String.join(",", json));
    }

    private static long backend(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static long backend(HikariDataSource ds) throws SQLException {
        try (Connection c = ds.getConnection()) {
            return backend(c);
        }
    }

    /** PostgreSQL CPU seconds of one job, committed as a runner commits it. */
    private static double cpu(Connection c, long[] backends, JobRegistry.JobType t, Period p) throws Exception {
        double t0 = ProcCpu.seconds(backends[0]) + ProcCpu.seconds(backends[1]);
        RollUps.runCommitted(c, t.rollUp(), p, null);
        return ProcCpu.seconds(backends[0]) + ProcCpu.seconds(backends[1]) - t0;
    }
}
