package io.trackedge.bench;

import io.trackedge.classify.ClassifierSettings;
import io.trackedge.classify.ListSource;
import io.trackedge.sink.JournalClassifier;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.postgres.PostgresSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * What classification costs the Postgres sink: the same journal (SinkVsPsqlCopy's events: 70 % opens,
 * 5 % HEAD, 3,000 emails) written by the sink with {@code edge.classify.enabled} on and off, rounds
 * alternating on one database after an uncounted warm-up of each. Per event: the JVM's CPU (the
 * classifier runs on the sink loop's thread) and the PostgreSQL backends' CPU (the classification
 * columns, email_human_opens), from /proc; and rows/s. Medians over the rounds.
 *
 * <pre>java -cp benchmarks.jar io.trackedge.bench.SinkClassifyCost [events] [rounds]</pre>
 */
public final class SinkClassifyCost {

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        BenchDatabase scratch = BenchDatabase.create("trackedge_bench_");
        String url = scratch.url();
        Path work = Files.createTempDirectory("classify-cost-");
        ListSource lists = ListSource.snapshot();
        Map<Boolean, List<double[]>> results = new HashMap<>();
        try (Database db = new Database(new PostgresConnectionInfo(url, "postgres", null), 2)) {
            db.migrate();
            Path journal = work.resolve("journal");
            long end = SinkVsPsqlCopy.writeJournal(journal, events);
            for (int r = 0; r <= rounds; r++) {
                for (boolean on : new boolean[] {true, false}) {
                    truncate(url);
                    JournalClassifier classifier = on ? JournalClassifier.of(ClassifierSettings.DEFAULTS, lists)
                            : JournalClassifier.disabled();
                    double[] m = run(db, url, journal, end, classifier);
                    System.out.printf(Locale.ROOT, "round %d classify=%s: %.0f rows/s, JVM %.2f us/event, PostgreSQL %.2f us/event%s%n",
                            r, on ? "on" : "off", events / m[0], m[1] * 1e6 / events, m[2] * 1e6 / events, r == 0 ? " (warm-up)" : "");
                    if (r > 0) {
                        results.computeIfAbsent(on, k -> new ArrayList<>()).add(new double[] {events / m[0], m[1] * 1e6 / events,
                                m[2] * 1e6 / events});
                    }
                }
            }
        }
        double[] on = Medians.ofColumns(results.get(true));
        double[] off = Medians.ofColumns(results.get(false));
        System.out.printf(Locale.ROOT, "%n| classification | rows/s | JVM CPU us/event | PostgreSQL CPU us/event |%n|---|---|---|---|%n"
                + "| on | %.0f | %.2f | %.2f |%n| off | %.0f | %.2f | %.2f |%n| on - off | | %+.2f | %+.2f |%n",
                on[0], on[1], on[2], off[0], off[1], off[2], on[1] - off[1], on[2] - off[2]);
        System.out.printf(Locale.ROOT, "{\"benchmark\":\"SinkClassifyCost\",\"events\":%d,\"rounds\":%d,\"on\":{\"rows_per_s\":%.0f,"
                + "\"jvm_us_per_event\":%.3f,\"pg_us_per_event\":%.3f},\"off\":{\"rows_per_s\":%.0f,\"jvm_us_per_event\":%.3f,"
                + "\"pg_us_per_event\":%.3f}}%n", events, rounds, on[0], on[1], on[2], off[0], off[1], off[2]);
        scratch.drop();
    }

    /** {seconds, JVM CPU seconds, backend CPU seconds}. */
    private static double[] run(Database db, String url, Path journal, long end, JournalClassifier classifier) throws Exception {
        SinkRun.Timed t = SinkRun.timed(new PostgresSink(db, UUID.randomUUID(), new PostgresSink.Settings(false, 0), classifier),
                url, journal, end, Duration.ofMinutes(10));
        return new double[] {t.seconds(), t.jvmSeconds(), t.pgSeconds()};
    }

    private static void truncate(String url) throws Exception {
        try (Connection c = DriverManager.getConnection(url, "postgres", null); Statement s = c.createStatement()) {
            s.execute("TRUNCATE email_event_rows, event_contexts, email_opens, email_clicks, email_human_opens, daily_analytics, sink_cursors");
            s.execute("CHECKPOINT");
        }
    }
}
