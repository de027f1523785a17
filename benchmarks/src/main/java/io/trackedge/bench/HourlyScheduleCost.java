package io.trackedge.bench;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.jobs.Period;
import io.trackedge.jobs.RollUp;
import io.trackedge.jobs.rollup.RollUps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the roll-ups scheduled hourly cost PostgreSQL over a day, with an hour's job that recounts
 * its whole day so far (every roll-up before sql/V28, and the daily tables scheduled hourly still)
 * against one that recounts its hour (the hourly tables since V28), both measured in one run over the
 * same rows:
 *
 * <pre>
 *   DayReplay: yesterday's partition, N events spread evenly over the day, set aside
 *   for each hour h of the day:
 *     the events of hour h put back: the day so far
 *     per roll-up, in alternating order:
 *       "so far": its day job, which is what an hour's job counted before V28
 *       "hour":   its hour job for h (the hourly tables only)
 *   then each roll-up's day job once (D), which both schedules run after the day closes
 * </pre>
 *
 * A day's schedule costs Σ so far + D the old way, Σ hour + D the new. PostgreSQL CPU seconds of the
 * backend that ran the jobs ({@code /proc/<pid>/stat}; parallel query off), and per event of the day.
 *
 * <pre>java -cp benchmarks.jar io.trackedge.bench.HourlyScheduleCost [events=2000000]</pre>
 * Environment: BENCH_PG_HOST / BENCH_PG_PORT (default 127.0.0.1:5432), BENCH_KEEP_DB=1 keeps the database.
 */
public final class HourlyScheduleCost {

    private static final List<String> SCHEDULED_HOURLY = List.of("stats_hourly", "link_clicks_hourly", "automation_hourly",
            "campaign_analytics", "mailbox_analytics");

    public static void main(String[] args) throws Exception {
        long events = args.length > 0 ? Long.parseLong(args[0]) : 2_000_000L;
        BenchDatabase scratch = BenchDatabase.create("trackedge_hourly_bench_");
        LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(1);
        try (Database db = new Database(new PostgresConnectionInfo(scratch.url(), "postgres", null), 2)) {
            db.migrate();
            try (Connection c = DriverManager.getConnection(scratch.url(), "postgres", null); Statement s = c.createStatement()) {
                System.out.println("load average at start: " + Files.readString(Path.of("/proc/loadavg")).trim());
                DayReplay replay = DayReplay.load(c, s, day, events);
                s.execute("SET max_parallel_workers_per_gather = 0");
                List<RollUp> rollUps = RollUps.all().stream().filter(r -> SCHEDULED_HOURLY.contains(r.jobType())).toList();
                Map<String, double[]> cost = new LinkedHashMap<>(); // per type: so far, hour, day
                rollUps.forEach(r -> cost.put(r.jobType(), new double[3]));
                long backend = backend(c);
                for (int h = 0; h < 24; h++) {
                    Period hour = Period.hourOf(replay.hour(h));
                    replay.putBack(h);
                    for (RollUp r : rollUps) {
                        double[] k = cost.get(r.jobType());
                        boolean soFarFirst = h % 2 == 0;
                        for (int run = 0; run < 2; run++) {
                            if (run == 0 == soFarFirst) {
                                k[0] += cpu(c, backend, r, Period.dayOf(day));
                            } else if (r.rowsPerHour()) {
                                k[1] += cpu(c, backend, r, hour);
                            }
                        }
                    }
                    System.out.printf(Locale.ROOT, "hour %02d: %s%n", h, summary(cost));
                }
                for (RollUp r : rollUps) {
                    cost.get(r.jobType())[2] = cpu(c, backend, r, Period.dayOf(day));
                }
                System.out.println("load average at end: " + Files.readString(Path.of("/proc/loadavg")).trim());
                print(cost, events);
            }
        } finally {
            if (!"1".equals(System.getenv("BENCH_KEEP_DB"))) {
                scratch.drop();
            }
        }
    }

    private static String summary(Map<String, double[]> cost) {
        StringBuilder b = new StringBuilder();
        cost.forEach((t, k) -> b.append(String.format(Locale.ROOT, "%s %.1f/%.1f  ", t, k[0], k[1])));
        return b.toString().trim();
    }

    private static void print(Map<String, double[]> cost, long events) {
        System.out.printf(Locale.ROOT, "%n%-20s %12s %12s %9s %16s %16s %12s %12s %7s%n", "roll-up", "so far s", "hours s",
                "day D s", "so far + D s", "hours + D s", "µs/ev so far", "µs/ev hours", "ratio");
        List<String> json = new ArrayList<>();
        double[] total = new double[2];
        cost.forEach((t, k) -> {
            boolean perHour = k[1] > 0;
            double old = k[0] + k[2];
            double now = perHour ? k[1] + k[2] : old;
            total[0] += old;
            total[1] += now;
            System.out.printf(Locale.ROOT, "%-20s %12.2f %12s %9.2f %16.2f %16.2f %12.2f %12.2f %7.3f%n", t, k[0],
                    perHour ? String.format(Locale.ROOT, "%.2f", k[1]) : "-", k[2], old, now, 1e6 * old / events,
                    1e6 * now / events, now / old);
            json.add(String.format(Locale.ROOT, "{\"job\":\"%s\",\"so_far_pg_cpu_s\":%.3f,\"hours_pg_cpu_s\":%s,\"day_pg_cpu_s\":%.3f}",
                    t, k[0], perHour ? String.format(Locale.ROOT, "%.3f", k[1]) : "null", k[2]));
        });
        System.out.printf(Locale.ROOT, "%-20s %12s %12s %9s %16.2f %16.2f %12.2f %12.2f %7.3f%n", "all five", "", "", "", total[0],
                total[1], 1e6 * total[0] / events, 1e6 * total[1] / events, total[1] / total[0]);
        System.out.printf(Locale.ROOT, "{\"benchmark\":\"hourly_schedule\",\"events\":%d,\"rows\":[%s]}%n", events,
                String.join(",", json));
    }

    private static long backend(Connection c) throws Exception {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** PostgreSQL CPU seconds of one job, committed as a runner commits it. */
    private static double cpu(Connection c, long backend, RollUp r, Period p) throws Exception {
        double t0 = ProcCpu.seconds(backend);
        RollUps.runCommitted(c, r, p, null);
        return ProcCpu.seconds(backend) - t0;
    }
}
