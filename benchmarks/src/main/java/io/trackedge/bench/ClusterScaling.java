package io.trackedge.bench;

import io.trackedge.db.TenantRouting;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One PostgreSQL cluster against two (issue 15), through the real sink:
 *
 * <pre>
 *   one journal of N events (SinkVsPsqlCopy's mix) over T tenants, half of them hashed to "a", half to "b"
 *   case 1: one sink + loop, every tenant          ──▶ server A
 *   case 2: two sinks + loops, each over the whole journal, each keeping its routing's tenants
 *           (TenantRouting over ["a","b"])         ──▶ server A, server B
 * </pre>
 *
 * A and B are two PostgreSQL servers this benchmark starts ({@link BenchCluster}); each case gets
 * a fresh database in each server it uses, migrated before the clock starts, dropped after. One
 * uncounted warm-up of both cases over a smaller journal, then rounds of case 1 then case 2. Per
 * case: wall seconds until every sink has committed the journal's end, rows/s, and CPU per event in
 * microseconds of this JVM (the sinks) and of each server's processes (including a CHECKPOINT after
 * the end). Prints every case, the medians and the ratio 2 clusters / 1 cluster of each, and a JSON line.
 *
 * <pre>java -cp benchmarks.jar io.trackedge.bench.ClusterScaling [events=1000000] [rounds=3] [tenants=64]</pre>
 * Environment: BENCH_CLUSTER_PORTS (default 5495,5496), BENCH_PG_BIN (default /usr/lib/postgresql/15/bin).
 */
public final class ClusterScaling {

    private static final List<String> CLUSTERS = List.of("a", "b");
    private static final int WARM_UP_EVENTS = 100_000;

    /** What one case measured, per event where it says so. */
    record Figures(double wallSeconds, double rowsPerSecond, double jvmMicros, double pgAMicros, double pgBMicros,
                   double pgMicros, double totalMicros, double coresBusy, String finish) {

        static Figures of(ClusterRun.Result r, int events) {
            double perEvent = 1e6 / events;
            double pg = Arrays.stream(r.pgCpuSeconds()).sum();
            return new Figures(r.wallSeconds(), events / r.wallSeconds(), r.jvmCpuSeconds() * perEvent,
                    r.pgCpuSeconds()[0] * perEvent, r.pgCpuSeconds().length > 1 ? r.pgCpuSeconds()[1] * perEvent : 0,
                    pg * perEvent, (r.jvmCpuSeconds() + pg) * perEvent, (r.jvmCpuSeconds() + pg) / r.wallSeconds(),
                    Arrays.stream(r.finishSeconds()).mapToObj(s -> String.format(Locale.ROOT, "%.1f", s))
                            .collect(Collectors.joining("/")));
        }
    }

    /** The columns of the tables, in order, with how each is read from a case's figures. */
    private static final Map<String, Function<Figures, Double>> COLUMNS = new LinkedHashMap<>();

    static {
        COLUMNS.put("wall_s", Figures::wallSeconds);
        COLUMNS.put("rows_per_s", Figures::rowsPerSecond);
        COLUMNS.put("jvm_cpu_us_per_event", Figures::jvmMicros);
        COLUMNS.put("pg_a_cpu_us_per_event", Figures::pgAMicros);
        COLUMNS.put("pg_b_cpu_us_per_event", Figures::pgBMicros);
        COLUMNS.put("pg_cpu_us_per_event", Figures::pgMicros);
        COLUMNS.put("total_cpu_us_per_event", Figures::totalMicros);
        COLUMNS.put("cores_busy", Figures::coresBusy);
    }

    private ClusterScaling() {
    }

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int tenants = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        int[] ports = Arrays.stream(System.getenv().getOrDefault("BENCH_CLUSTER_PORTS", "5495,5496").split(","))
                .mapToInt(p -> Integer.parseInt(p.trim())).toArray();
        TenantRouting two = TenantRouting.of(CLUSTERS, Map.of());
        Path work = Files.createTempDirectory("cluster-scaling-");
        System.out.printf(Locale.ROOT, "ClusterScaling: %d events, %d tenants, %d rounds; %d CPUs; load average at start: %s%n",
                events, tenants, rounds, Runtime.getRuntime().availableProcessors(), loadAverage());
        ManyTenantsJournal journal = ManyTenantsJournal.write(work.resolve("journal"), events, tenants, two);
        ManyTenantsJournal warmJournal = ManyTenantsJournal.write(work.resolve("warm-up"), Math.min(events, WARM_UP_EVENTS),
                tenants, two);
        System.out.printf(Locale.ROOT, "events per cluster under the routing: a %d, b %d%n", journal.perCluster()[0],
                journal.perCluster()[1]);
        try (BenchCluster a = BenchCluster.start("a", ports[0]); BenchCluster b = BenchCluster.start("b", ports[1])) {
            List<Figures> one = new ArrayList<>();
            List<Figures> twoClusters = new ArrayList<>();
            // The warm-up takes the sink's code through the JIT and the servers' first use off the first counted case.
            ClusterRun.run(List.of(a), two, work.resolve("warm-up"), warmJournal, "warm_one");
            ClusterRun.run(List.of(a, b), two, work.resolve("warm-up"), warmJournal, "warm_two");
            System.out.printf(Locale.ROOT, "warm-up of both cases over %d events done (not counted); load %s%n%n",
                    Math.min(events, WARM_UP_EVENTS), loadAverage());
            header("round");
            for (int r = 1; r <= rounds; r++) {
                one.add(measure(r, "1 cluster", List.of(a), two, work, journal, events, "one_" + r));
                twoClusters.add(measure(r, "2 clusters", List.of(a, b), two, work, journal, events, "two_" + r));
            }
            summary(one, twoClusters, events, rounds, tenants);
        } finally {
            try (Stream<Path> files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static Figures measure(int round, String label, List<BenchCluster> servers, TenantRouting routing, Path work,
                                   ManyTenantsJournal journal, int events, String database) throws Exception {
        String loadBefore = loadAverage();
        ClusterRun.Result r = ClusterRun.run(servers, routing, work.resolve("journal"), journal, database);
        Figures f = Figures.of(r, events);
        row(round + " " + label, f);
        System.out.printf(Locale.ROOT, "    sinks done at %s s; rows %s; load %s -> %s%n", f.finish(),
                Arrays.toString(r.rows()), loadBefore, loadAverage());
        return f;
    }

    private static void summary(List<Figures> one, List<Figures> two, int events, int rounds, int tenants) throws Exception {
        System.out.printf(Locale.ROOT, "%nmedians of %d rounds:%n", rounds);
        header("");
        Figures m1 = medians(one);
        Figures m2 = medians(two);
        row("1 cluster", m1);
        row("2 clusters", m2);
        StringBuilder ratios = new StringBuilder();
        StringBuilder json = new StringBuilder();
        System.out.printf(Locale.ROOT, "%-14s", "2 / 1");
        for (Map.Entry<String, Function<Figures, Double>> c : COLUMNS.entrySet()) {
            double x1 = c.getValue().apply(m1);
            double x2 = c.getValue().apply(m2);
            String ratio = x1 == 0 ? "-" : String.format(Locale.ROOT, "%.2f", x2 / x1);
            System.out.printf(Locale.ROOT, " %12s", ratio);
            ratios.append(ratios.isEmpty() ? "" : ",").append('"').append(c.getKey()).append("\":")
                    .append(x1 == 0 ? "null" : ratio);
            json.append(",\"").append(c.getKey()).append("\":[").append(String.format(Locale.ROOT, "%.2f,%.2f", x1, x2))
                    .append(']');
        }
        System.out.printf(Locale.ROOT, "%nload average at end: %s%n", loadAverage());
        System.out.printf(Locale.ROOT, "{\"benchmark\":\"cluster_scaling\",\"events\":%d,\"rounds\":%d,\"tenants\":%d,"
                + "\"cpus\":%d,\"medians_one_two\":{%s},\"two_over_one\":{%s}}%n", events, rounds, tenants,
                Runtime.getRuntime().availableProcessors(), json.substring(1), ratios);
    }

    private static void header(String first) {
        System.out.printf(Locale.ROOT, "%-14s %12s %12s %12s %12s %12s %12s %12s %12s%n", first, "wall s", "rows/s",
                "JVM us/ev", "PG A us/ev", "PG B us/ev", "PG us/ev", "total us/ev", "cores busy");
    }

    private static void row(String label, Figures f) {
        System.out.printf(Locale.ROOT, "%-14s %12.1f %12.0f %12.1f %12.1f %12s %12.1f %12.1f %12.2f%n", label,
                f.wallSeconds(), f.rowsPerSecond(), f.jvmMicros(), f.pgAMicros(),
                f.pgBMicros() == 0 ? "-" : String.format(Locale.ROOT, "%.1f", f.pgBMicros()), f.pgMicros(), f.totalMicros(),
                f.coresBusy());
    }

    /** Each column's median on its own (so the row need not be one case's). */
    private static Figures medians(List<Figures> xs) {
        double[] m = COLUMNS.values().stream().mapToDouble(c -> Medians.of(xs.stream().map(c).toList())).toArray();
        return new Figures(m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], "");
    }

    private static String loadAverage() throws java.io.IOException {
        String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
        return f[0] + " " + f[1] + " " + f[2];
    }
}
