package io.trackedge.bench;

import io.trackedge.jobs.Period;
import io.trackedge.jobs.RollUp;
import io.trackedge.jobs.rollup.RollUps;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.stats.DrillDowns;
import io.trackedge.stats.StatsQueries;
import io.trackedge.stats.StatsRequest;
import io.trackedge.stats.StatsRequestParser;
import io.trackedge.stats.TenantReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/**
 * Latency of the stats API's main queries over N raw events and their roll-ups (issue 14):
 *
 * <pre>
 *   RawDayLoader ──▶ email_events (yesterday, N rows, 50 tenants, 2000 campaigns, 5000 mailboxes)
 *   stats_hourly · link_clicks_hourly · automation_hourly roll-ups for that day (timed once)
 *   then per query: EXPLAIN as trackedge_reader (must not name email_events), 20 warm-up runs,
 *   M timed runs through StatsQueries (the code behind GET /v1/stats, reader role, RLS), a random
 *   tenant each run; p50 / p99 / max in ms
 * </pre>
 *
 * <pre>java -cp benchmarks.jar io.trackedge.bench.StatsQueryBenchmark [events=10000000] [runs=200]</pre>
 * Environment: BENCH_PG_HOST / BENCH_PG_PORT (default 127.0.0.1:5432), BENCH_KEEP_DB=1 keeps the database,
 * BENCH_DB=name reuses one kept before (no load, no roll-ups; the day must be yesterday's).
 */
public final class StatsQueryBenchmark {

    public static void main(String[] args) throws Exception {
        long events = args.length > 0 ? Long.parseLong(args[0]) : 10_000_000L;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        String host = System.getenv().getOrDefault("BENCH_PG_HOST", "127.0.0.1");
        String port = System.getenv().getOrDefault("BENCH_PG_PORT", "5432");
        // BENCH_DB names a database an earlier run kept (BENCH_KEEP_DB=1): its day is reused, not reloaded
        String reuse = System.getenv("BENCH_DB");
        String dbName = reuse != null ? reuse : "trackedge_stats_bench_" + Long.toHexString(System.nanoTime() & 0xFFFFFF);
        String admin = "jdbc:postgresql://" + host + ":" + port + "/postgres";
        if (reuse == null) {
            try (Connection c = DriverManager.getConnection(admin, "postgres", null); Statement s = c.createStatement()) {
                s.execute(BenchDatabase.createStatement(dbName));
            }
        }
        System.out.println("database " + dbName);
        String url = "jdbc:postgresql://" + host + ":" + port + "/" + dbName;
        LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(1);
        try (Database db = new Database(new PostgresConnectionInfo(url, "postgres", null), 2)) {
            db.migrate();
            try (Connection c = DriverManager.getConnection(url, "postgres", null)) {
                System.out.println("load average at start: " + Files.readString(Path.of("/proc/loadavg")).trim());
                if (reuse == null) {
                    RollUpBenchmark.load(c, day, events);
                }
                for (RollUp r : RollUps.all()) {
                    if (reuse == null && r.jobType().endsWith("_hourly")) {
                        long t0 = System.nanoTime();
                        RollUps.runCommitted(c, r, Period.dayOf(day), null);
                        System.out.printf(Locale.ROOT, "roll-up %-20s %.1f s%n", r.jobType(), (System.nanoTime() - t0) / 1e9);
                    }
                }
                try (Statement s = c.createStatement()) {
                    for (String t : List.of("stats_hourly", "link_clicks_hourly", "automation_hourly")) {
                        s.execute("VACUUM ANALYZE " + t);
                    }
                }
                for (String t : List.of("email_events", "stats_hourly", "link_clicks_hourly", "automation_hourly", "email_opens")) {
                    try (Statement s = c.createStatement(); var rs = s.executeQuery("SELECT count(*) FROM " + t)) {
                        rs.next();
                        System.out.printf(Locale.ROOT, "%-20s %,d rows%n", t, rs.getLong(1));
                    }
                }
            }
            TenantReader reader = new TenantReader(db.dataSource(), 60_000);
            StatsQueries queries = new StatsQueries(reader);
            DrillDowns drill = new DrillDowns(reader);
            Instant now = Instant.now();
            Instant to = now.truncatedTo(ChronoUnit.HOURS).plus(1, ChronoUnit.HOURS);
            String week = "from=" + to.minus(7, ChronoUnit.DAYS) + "&to=" + to;
            String twoDays = "from=" + to.minus(47, ChronoUnit.HOURS) + "&to=" + to;
            Map<String, String> named = new LinkedHashMap<>();
            named.put("overview: 7 days by day, 10 metrics", week + "&metrics=sent,delivered,unique_opens,unique_clicks,replies,"
                    + "bounces,open_rate,click_rate,machine_opens,machine_clicks");
            named.put("campaigns table (dimension campaign, total)", week
                    + "&granularity=total&dimensions=campaign&metrics=sent,delivered,unique_opens,unique_clicks,open_rate,click_rate");
            named.put("one campaign by hour, 2 days, Europe/Paris", twoDays + "&granularity=hour&tz=Europe/Paris&campaign=campaign-{c}"
                    + "&metrics=sent,opens,unique_opens,clicks,unique_clicks,open_rate,click_rate");
            named.put("links of a campaign with CTR", week + "&granularity=total&dimensions=link&campaign=campaign-{c}"
                    + "&metrics=clicks,unique_clicks,click_rate");
            named.put("mailboxes table (dimension mailbox, total)", week
                    + "&granularity=total&dimensions=mailbox&metrics=sent,delivered,bounces,complaints,bounce_rate");
            named.put("automation by reason, by day", week + "&dimensions=reason&machine=include&metrics=opens,clicks,machine_opens");
            Random random = new Random(1);
            System.out.printf(Locale.ROOT, "%n%-48s %9s %9s %9s %6s%n", "query (one random tenant of 50 each run)", "p50 ms", "p99 ms",
                    "max ms", "rows");
            List<String> json = new ArrayList<>();
            StringBuilder plans = new StringBuilder();
            for (var e : named.entrySet()) {
                StatsRequest probe = request(e.getValue(), random, now);
                for (String plan : queries.explain(probe)) {
                    plans.append("-- ").append(e.getKey()).append('\n').append(plan).append('\n');
                    if (plan.contains("email_events")) {
                        throw new IllegalStateException(e.getKey() + " reads email_events:\n" + plan);
                    }
                }
                double[] ms = new double[runs];
                int rows = 0;
                for (int i = -20; i < runs; i++) {
                    StatsRequest r = request(e.getValue(), random, now);
                    long t0 = System.nanoTime();
                    rows = queries.run(r).rows().size();
                    if (i >= 0) {
                        ms[i] = (System.nanoTime() - t0) / 1e6;
                    }
                }
                Arrays.sort(ms);
                double p50 = ms[runs / 2];
                double p99 = ms[(int) Math.ceil(runs * 0.99) - 1];
                System.out.printf(Locale.ROOT, "%-48s %9.2f %9.2f %9.2f %6d%n", e.getKey(), p50, p99, ms[runs - 1], rows);
                json.add(String.format(Locale.ROOT, "{\"query\":\"%s\",\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f}", e.getKey(), p50,
                        p99, ms[runs - 1]));
            }
            // who opened, first page of a campaign (email_opens, one row per email, keyset-paged)
            double[] ms = new double[runs];
            for (int i = -20; i < runs; i++) {
                int tn = random.nextInt(50);
                UUID t = UUID.fromString("00000000-0000-4000-8000-" + String.format("%012d", tn));
                long t0 = System.nanoTime();
                drill.recipients(Map.of("campaign", List.of("campaign-" + (tn + 50 * random.nextInt(40))), "limit", List.of("100")), t);
                if (i >= 0) {
                    ms[i] = (System.nanoTime() - t0) / 1e6;
                }
            }
            Arrays.sort(ms);
            System.out.printf(Locale.ROOT, "%-48s %9.2f %9.2f %9.2f %6d%n", "who opened: first page of 100 (email_opens)", ms[runs / 2],
                    ms[(int) Math.ceil(runs * 0.99) - 1], ms[runs - 1], 100);
            Path out = Path.of("target", "stats-query-plans.txt");
            Files.createDirectories(out.getParent());
            Files.writeString(out, plans.toString());
            System.out.println("\nplans (EXPLAIN as trackedge_reader; none names email_events) written to " + out.toAbsolutePath());
            System.out.println("load average at end: " + Files.readString(Path.of("/proc/loadavg")).trim());
            System.out.printf(Locale.ROOT, "{\"benchmark\":\"stats_queries\",\"events\":%d,\"runs\":%d,\"queries\":[%s]}%n", events, runs,
                    String.join(",", json));
        } finally {
            if (reuse == null && !"1".equals(System.getenv("BENCH_KEEP_DB"))) {
                try (Connection c = DriverManager.getConnection(admin, "postgres", null); Statement s = c.createStatement()) {
                    s.execute("DROP DATABASE IF EXISTS " + dbName + " WITH (FORCE)");
                }
            }
        }
    }

    /** A tenant at random and, for {c}, one of its campaigns (the loader gives campaign c to tenant c % 50). */
    private static StatsRequest request(String query, Random random, Instant now) throws Exception {
        int t = random.nextInt(50);
        String q = query.replace("{c}", Integer.toString(t + 50 * random.nextInt(40)));
        Map<String, List<String>> params = new io.netty.handler.codec.http.QueryStringDecoder("?" + q).parameters();
        return StatsRequestParser.parse(params, UUID.fromString("00000000-0000-4000-8000-" + String.format("%012d", t)), now);
    }
}
