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
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What the jobs of the default schedule ({@link JobTypes#registry}, as {@code serve} runs them) cost
 * PostgreSQL per event: the cost table's row 10, beside what the sink's own statements cost to write
 * the event (row 2's PostgreSQL part).
 *
 * <pre>
 *   DayReplay: yesterday's partition, N events spread evenly over the day, set aside
 *   for each hour h: the events of hour h put back, then every job scheduled hourly, for hour h
 *   daily_analytics filled as the sink would have (one reconciliation, not counted)
 *   then every job scheduled daily, for the day (the roll-ups' day jobs, retention, compact_events)
 *
 *   the jobs scheduled monthly too (billing_analytics), whose day job reads the month to date:
 *   MonthReplay: the month before last, N events as many each day, set aside
 *   for each day d: the events of day d put back, then the job's day job for d
 *   then its month job
 * </pre>
 *
 * Per event of the day, or of the month for the monthly ones. PostgreSQL CPU seconds
 * ({@code /proc/<pid>/stat}) of the two backends that run the jobs: the runner's, and the one
 * {@code compact_events} rebuilds indexes on (parallel workers off on both).
 *
 * <pre>java -cp benchmarks.jar io.trackedge.bench.JobScheduleCost [events=1000000]</pre>
 * Prints a table and one JSON line ({@code "benchmark":"job_schedule"}). Environment: BENCH_PG_HOST /
 * BENCH_PG_PORT (default 127.0.0.1:5432), BENCH_KEEP_DB=1 keeps the database, BENCH_JOBS=a,b runs only
 * those job types (an A/B of one job without the day's load and jobs).
 */
public final class JobScheduleCost {

    /** One job type's PostgreSQL CPU seconds: its hour jobs, its day jobs (and month job), over how many events. */
    private record Cost(String schedule, double hours, double days, long events) {
        double perEvent() {
            return 1e6 * (hours + days) / events;
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
                JobRegistry registry = only(JobTypes.registry(0, compaction), System.getenv("BENCH_JOBS"));
                long[] backends = {backend(c), backend(compaction)};
                Map<String, Cost> costs = new LinkedHashMap<>();
                day(c, s, backends, registry, day, events).forEach(costs::put);
                month(c, s, backends, registry, YearMonth.now(ZoneOffset.UTC).minusMonths(2), events).forEach(costs::put);
                System.out.println("load average at end: " + Files.readString(Path.of("/proc/loadavg")).trim());
                Map<String, Cost> ordered = new LinkedHashMap<>();
                registry.all().forEach(t -> ordered.put(t.name(), costs.get(t.name())));
                print(ordered, events);
            }
        } finally {
            if (!"1".equals(System.getenv("BENCH_KEEP_DB"))) {
                scratch.drop();
            }
        }
    }

    /** {@code all} with only the types {@code names} lists (comma-separated), or all of it when null or blank. */
    static JobRegistry only(JobRegistry all, String names) {
        if (names == null || names.isBlank()) {
            return all;
        }
        JobRegistry.Builder out = JobRegistry.builder();
        for (String name : names.split(",")) {
            JobRegistry.JobType t = all.require(name.trim());
            out.add(t.rollUp(), t.priority(), t.schedule().toArray(Granularity[]::new));
        }
        return out.build();
    }

    private static boolean monthly(JobRegistry.JobType t) {
        return t.schedule().contains(Granularity.MONTH);
    }

    private static String schedule(JobRegistry.JobType t) {
        return t.schedule().stream().map(Granularity::label).sorted().collect(Collectors.joining(","));
    }

    /** Every type but the monthly ones over a day of {@code events}, as the hours and then the day close. */
    private static Map<String, Cost> day(Connection c, Statement s, long[] backends, JobRegistry registry, LocalDate day,
                                         long events) throws Exception {
        if (registry.all().stream().allMatch(JobScheduleCost::monthly)) {
            return Map.of();
        }
        DayReplay replay = DayReplay.load(c, s, day, events);
        s.execute("SET max_parallel_workers_per_gather = 0");
        Map<String, double[]> seconds = new LinkedHashMap<>();
        registry.all().stream().filter(t -> !monthly(t)).forEach(t -> seconds.put(t.name(), new double[2]));
        for (int h = 0; h < 24; h++) {
            replay.putBack(h);
            for (JobRegistry.JobType t : registry.scheduledFor(Granularity.HOUR)) {
                if (!monthly(t)) {
                    seconds.get(t.name())[0] += cpu(c, backends, t, Period.hourOf(replay.hour(h)));
                }
            }
        }
        // daily_analytics as the sink leaves it (RawDayLoader writes raw rows only): the day's
        // reconciliation then checks a table that agrees, as it does in production, not repairs every row
        RollUps.runCommitted(c, RollUps.reconciliation(), Period.dayOf(day), null);
        for (JobRegistry.JobType t : registry.scheduledFor(Granularity.DAY)) {
            if (!monthly(t)) {
                seconds.get(t.name())[1] = cpu(c, backends, t, Period.dayOf(day));
            }
        }
        Map<String, Cost> out = new LinkedHashMap<>();
        registry.all().stream().filter(t -> !monthly(t))
                .forEach(t -> out.put(t.name(), new Cost(schedule(t), seconds.get(t.name())[0], seconds.get(t.name())[1], events)));
        return out;
    }

    /** The monthly types over a month of about {@code events}, as its days and then the month close. */
    private static Map<String, Cost> month(Connection c, Statement s, long[] backends, JobRegistry registry, YearMonth month,
                                           long events) throws Exception {
        List<JobRegistry.JobType> types = registry.all().stream().filter(JobScheduleCost::monthly).toList();
        Map<String, Cost> out = new LinkedHashMap<>();
        if (types.isEmpty()) {
            return out;
        }
        MonthReplay replay = MonthReplay.load(c, s, month, events / month.lengthOfMonth());
        s.execute("SET max_parallel_workers_per_gather = 0");
        Map<String, Double> seconds = new LinkedHashMap<>();
        types.forEach(t -> seconds.put(t.name(), 0.0));
        for (int d = 1; d <= replay.days(); d++) {
            replay.putBack(d);
            for (JobRegistry.JobType t : types) {
                if (t.schedule().contains(Granularity.DAY)) {
                    seconds.merge(t.name(), cpu(c, backends, t, Period.dayOf(replay.day(d))), Double::sum);
                }
            }
        }
        for (JobRegistry.JobType t : types) {
            seconds.merge(t.name(), cpu(c, backends, t, Period.monthOf(month)), Double::sum);
            out.put(t.name(), new Cost(schedule(t), 0, seconds.get(t.name()), replay.events()));
        }
        return out;
    }

    private static void print(Map<String, Cost> costs, long events) {
        System.out.printf(Locale.ROOT, "%n%-24s %-12s %10s %10s %10s %12s%n", "job", "schedule", "hours s", "days s", "events",
                "µs/event");
        List<String> json = new ArrayList<>();
        double total = 0;
        for (Map.Entry<String, Cost> e : costs.entrySet()) {
            Cost k = e.getValue();
            total += k.perEvent();
            System.out.printf(Locale.ROOT, "%-24s %-12s %10.2f %10.2f %10d %12.2f%n", e.getKey(), k.schedule(), k.hours(), k.days(),
                    k.events(), k.perEvent());
            json.add(String.format(Locale.ROOT, "{\"job\":\"%s\",\"schedule\":\"%s\",\"hours_pg_cpu_s\":%.3f,\"days_pg_cpu_s\":%.3f,"
                    + "\"events\":%d,\"us_per_event\":%.3f}", e.getKey(), k.schedule(), k.hours(), k.days(), k.events(), k.perEvent()));
        }
        System.out.printf(Locale.ROOT, "%-24s %-12s %10s %10s %10s %12.2f%n", "all", "", "", "", "", total);
        System.out.printf(Locale.ROOT, "{\"benchmark\":\"job_schedule\",\"events\":%d,\"us_per_event\":%.3f,\"jobs\":[%s]}%n",
                events, total, String.join(",", json));
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
