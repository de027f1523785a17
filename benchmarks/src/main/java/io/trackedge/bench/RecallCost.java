package io.trackedge.bench;

import io.trackedge.classify.ClassifierSettings;
import io.trackedge.classify.ListSource;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventType;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.MutableEvent;
import io.trackedge.privacy.PrivacyPolicy;
import io.trackedge.sink.JournalClassifier;
import io.trackedge.sink.postgres.PostgresSink;
import io.trackedge.sink.postgres.StoredEmailHistory;
import java.nio.charset.StandardCharsets;
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
 * What the classifier's questions to the database cost the Postgres sink, at their worst: every
 * email's {@code delivered} event went to another node (written here first by one sink, "node A"),
 * and each email's first open or click reaches this node (node B), whose journal holds one open and
 * one click per email and, first, one {@code sent} event of the tenant (so B asks about its
 * emails). B's sink writes its journal with the questions on and off, alternating after an uncounted
 * warm-up of each; per event of B's journal: this JVM's CPU, the PostgreSQL backends' CPU, rows/s,
 * and how many of B's clicks were stored as a machine's. Medians over the rounds.
 *
 * <pre>java -cp benchmarks.jar io.trackedge.bench.RecallCost [emails] [rounds]</pre>
 */
public final class RecallCost {

    private static final UUID TENANT = UUID.fromString("55555555-5555-4555-8555-555555555555");
    private static final UUID USER = UUID.fromString("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa");
    private static final String FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";

    public static void main(String[] args) throws Exception {
        int emails = args.length > 0 ? Integer.parseInt(args[0]) : 30_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        BenchDatabase scratch = BenchDatabase.create("trackedge_bench_");
        String url = scratch.url();
        Path work = Files.createTempDirectory("recall-cost-");
        long now = System.currentTimeMillis() * 1000;
        Map<Boolean, List<double[]>> results = new HashMap<>();
        try (Database db = new Database(new PostgresConnectionInfo(url, "postgres", null), 2)) {
            db.migrate();
            Path a = work.resolve("node-a");
            long endA = write(a, emails, now, true);
            run(db, url, a, endA, JournalClassifier.disabled(), true);
            Path b = work.resolve("node-b");
            long endB = write(b, emails, now, false);
            int events = 2 * emails + 1;
            for (int r = 0; r <= rounds; r++) {
                for (boolean on : new boolean[] {true, false}) {
                    clearNodeB(url);
                    double[] m = run(db, url, b, endB, JournalClassifier.of(ClassifierSettings.DEFAULTS, ListSource.snapshot()), on);
                    long machineClicks = count(url, "SELECT count(*) FROM email_event_rows WHERE event_type = 'click' AND is_machine");
                    System.out.printf(Locale.ROOT, "round %d recall=%s: %.0f rows/s, JVM %.2f us/event, PostgreSQL %.2f us/event, "
                                    + "machine clicks %d of %d%s%n", r, on ? "on" : "off", events / m[0], m[1] * 1e6 / events,
                            m[2] * 1e6 / events, machineClicks, emails, r == 0 ? " (warm-up)" : "");
                    if (r > 0) {
                        results.computeIfAbsent(on, k -> new ArrayList<>()).add(new double[] {events / m[0], m[1] * 1e6 / events,
                                m[2] * 1e6 / events, machineClicks});
                    }
                }
            }
        }
        double[] on = Medians.ofColumns(results.get(true));
        double[] off = Medians.ofColumns(results.get(false));
        System.out.printf(Locale.ROOT, "%n| questions to the database | rows/s | JVM CPU us/event | PostgreSQL CPU us/event | clicks stored as a machine's |%n"
                        + "|---|---:|---:|---:|---:|%n| on | %.0f | %.2f | %.2f | %.0f of %d |%n| off | %.0f | %.2f | %.2f | %.0f of %d |%n"
                        + "| on - off | | %+.2f | %+.2f | |%n",
                on[0], on[1], on[2], on[3], emails, off[0], off[1], off[2], off[3], emails, on[1] - off[1], on[2] - off[2]);
        System.out.printf(Locale.ROOT, "{\"benchmark\":\"RecallCost\",\"emails\":%d,\"rounds\":%d,\"on\":{\"rows_per_s\":%.0f,"
                        + "\"jvm_us_per_event\":%.3f,\"pg_us_per_event\":%.3f,\"machine_clicks\":%.0f},\"off\":{\"rows_per_s\":%.0f,"
                        + "\"jvm_us_per_event\":%.3f,\"pg_us_per_event\":%.3f,\"machine_clicks\":%.0f}}%n",
                emails, rounds, on[0], on[1], on[2], on[3], off[0], off[1], off[2], off[3]);
        scratch.drop();
    }

    /** Node A: a delivery per email, a minute ago; node B: one send of the tenant, then an open and a click per email 5 s after its delivery. */
    private static long write(Path dir, int emails, long nowMicros, boolean deliveries) throws Exception {
        MutableEvent e = new MutableEvent();
        long delivered = nowMicros - 60_000_000L;
        long seq = 0;
        try (JournalWriter w = JournalWriter.open(dir, 64L << 20, 1L << 40, new JournalStats())) {
            if (!deliveries) {
                fill(e, EventType.SENT, "not-tracked", delivered, seq++);
                w.tryAppend(e);
            }
            for (int i = 0; i < emails; i++) {
                if (deliveries) {
                    fill(e, EventType.DELIVERED, "email-" + i, delivered, seq++);
                    w.tryAppend(e);
                } else {
                    fill(e, EventType.OPEN, "email-" + i, delivered + 5_000_000L, seq++);
                    w.tryAppend(e);
                    fill(e, EventType.CLICK, "email-" + i, delivered + 5_000_000L, seq++);
                    w.tryAppend(e);
                }
                if (i % 1000 == 999) {
                    w.flush();
                }
            }
            w.flush();
            return w.flushedPosition();
        }
    }

    private static void fill(MutableEvent e, EventType type, String email, long atMicros, long seq) throws Exception {
        e.reset(type, atMicros / 1000 << 16 | (seq & 0xFFFF), seq | 0x8000000000000000L, atMicros);
        byte[] block = FieldsCodec.encode(new EventFields(TENANT, USER, "camp", "mbox", email, "lead", "step", null));
        e.fields(block, 0, block.length);
        if (type == EventType.OPEN || type == EventType.CLICK) {
            byte[] ip = java.net.InetAddress.getByName("203.0.113.5").getAddress();
            e.ip(ip, ip.length);
            e.userAgent(FIREFOX);
        }
        if (type == EventType.CLICK) {
            byte[] link = "https://a.example/landing".getBytes(StandardCharsets.UTF_8);
            e.url(link, 0, link.length);
        }
    }

    /** {seconds, JVM CPU seconds, backend CPU seconds}. */
    private static double[] run(Database db, String url, Path journal, long end, JournalClassifier classifier, boolean recall)
            throws Exception {
        PostgresSink sink = new PostgresSink(db, UUID.randomUUID(), new PostgresSink.Settings(false, 0), classifier,
                PrivacyPolicy.keepAll());
        if (recall) {
            classifier.recallFrom(StoredEmailHistory.of(db));
        }
        SinkRun.Timed t = SinkRun.timed(sink, url, journal, end, Duration.ofMinutes(10));
        return new double[] {t.seconds(), t.jvmSeconds(), t.pgSeconds()};
    }

    /** Node B's rows gone, node A's deliveries kept. */
    private static void clearNodeB(String url) throws Exception {
        try (Connection c = DriverManager.getConnection(url, "postgres", null); Statement s = c.createStatement()) {
            s.execute("DELETE FROM email_event_rows WHERE event_type <> 'delivered'");
            s.execute("TRUNCATE email_opens, email_clicks, email_human_opens, daily_analytics");
            s.execute("VACUUM ANALYZE email_event_rows");
            s.execute("CHECKPOINT");
        }
    }

    private static long count(String url, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(url, "postgres", null); Statement s = c.createStatement();
             java.sql.ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }
}
