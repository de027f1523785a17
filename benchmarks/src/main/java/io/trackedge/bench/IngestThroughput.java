package io.trackedge.bench;

import io.trackedge.EdgeApp;
import io.trackedge.config.ConfigLoader;
import io.trackedge.config.EdgeConfig;
import io.trackedge.ingest.IngestKeyStore;
import io.trackedge.sink.SinkStats;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.token.KeyRing;
import io.trackedge.token.SigningKey;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Events per second through {@code POST /v1/events} into PostgreSQL: an edge in this JVM (ring,
 * journal under {@code ack = journal}, Postgres sink with binary COPY) on a fresh database, fed by
 * keep-alive connections that each post NDJSON bodies back to back (every request waits for its
 * 202 before the next). Two figures: events acknowledged per second (HTTP), and events per second
 * until the last one is committed in PostgreSQL (end to end). Half the events carry client ids
 * (the idempotent path), half leave the id to the edge; the types are a realistic mix.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.trackedge.bench.IngestThroughput [events] [connections] [lines-per-request]</pre>
 *
 * PostgreSQL: BENCH_PG_HOST / BENCH_PG_PORT (default 127.0.0.1:5432, user postgres, trust).
 */
public final class IngestThroughput {

    private static final String[] TYPES = {"sent", "sent", "sent", "delivered", "delivered", "delivered", "bounced",
        "replied", "unsubscribed", "complained", "warmup_open", "warmup_open", "warmup_reply"};

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int connections = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int perRequest = args.length > 2 ? Integer.parseInt(args[2]) : 500;
        int requests = (events + perRequest - 1) / perRequest;
        events = requests * perRequest;
        BenchDatabase scratch = BenchDatabase.create("trackedge_ingest_bench_");
        String port = scratch.port();
        String url = scratch.url();
        Path data = Files.createTempDirectory("ingest-bench-");
        EdgeApp app = null;
        try {
            String key;
            try (Database db = new Database(new PostgresConnectionInfo(url, "postgres", null), 1)) {
                db.migrate();
                key = new IngestKeyStore(db.dataSource()).create(null, "benchmark").secret();
            }
            byte[] secret = new byte[32];
            new SecureRandom().nextBytes(secret);
            KeyRing signing = new KeyRing(List.of(new SigningKey(1, secret)));
            Map<String, String> env = new HashMap<>();
            env.put("EDGE_PROFILE", "production");
            env.put("EDGE_SIGNING_KEYS", signing.signingKey().format());
            env.put("EDGE_DATA_DIR", data.toString());
            env.put("EDGE_BIND", "127.0.0.1");
            env.put("EDGE_PORT", "0");
            env.put("EDGE_ADMIN_PORT", "0");
            env.put("EDGE_EVENT_LOOPS", "1");
            env.put("EDGE_DATABASE_URL", url);
            env.put("EDGE_DATABASE_USER", "postgres");
            env.put("EDGE_POSTGRES_SINK", "true");
            env.put("EDGE_INGEST_KEY_REFRESH", "1s");
            EdgeConfig config = ConfigLoader.load(null, env);
            app = EdgeApp.start(config, signing);
            awaitKey(app.port(), key);
            SinkStats stats = app.postgresSinkStats();
            while (stats.committedEvents.get() < 1) {
                Thread.sleep(5); // the probe that found the key
            }
            long committedBefore = stats.committedEvents.get();

            List<byte[]> bodies = bodies(requests, perRequest);
            AtomicInteger next = new AtomicInteger();
            int port0 = app.port();
            List<Thread> threads = new ArrayList<>();
            long[] failures = new long[connections];
            long t0 = System.nanoTime();
            for (int t = 0; t < connections; t++) {
                int me = t;
                Thread th = new Thread(() -> {
                    try (Client client = new Client(port0)) {
                        int i;
                        while ((i = next.getAndIncrement()) < bodies.size()) {
                            int status = client.post(key, bodies.get(i));
                            if (status != 202) {
                                failures[me]++;
                            }
                        }
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                }, "ingest-bench-" + t);
                th.start();
                threads.add(th);
            }
            for (Thread th : threads) {
                th.join();
            }
            double httpSeconds = (System.nanoTime() - t0) / 1e9;
            long failed = 0;
            for (long f : failures) {
                failed += f;
            }
            if (failed > 0) {
                throw new IllegalStateException(failed + " requests were not answered 202");
            }
            long target = committedBefore + events;
            while (stats.committedEvents.get() < target) {
                Thread.sleep(2);
                if (System.nanoTime() - t0 > Duration.ofMinutes(10).toNanos()) {
                    throw new IllegalStateException("sink did not finish: " + app.postgresSinkLoop().health().lastError());
                }
            }
            double endSeconds = (System.nanoTime() - t0) / 1e9;
            long rows = count(url, "SELECT count(*) FROM email_events WHERE campaign_id IS DISTINCT FROM 'probe'");
            if (rows != events) {
                throw new IllegalStateException("email_events holds " + rows + " rows, expected " + events);
            }
            System.out.printf(Locale.ROOT, "%d events in %d requests of %d lines over %d connections%n", events, requests,
                    perRequest, connections);
            System.out.printf(Locale.ROOT, "acknowledged (202, ack=journal): %.0f events/s (%.2f s)%n", events / httpSeconds, httpSeconds);
            System.out.printf(Locale.ROOT, "committed in PostgreSQL:         %.0f events/s (%.2f s)%n", events / endSeconds, endSeconds);
            System.out.printf(Locale.ROOT, "{\"benchmark\":\"ingest_throughput\",\"events\":%d,\"connections\":%d,\"lines_per_request\":%d,"
                    + "\"acked_per_s\":%.0f,\"committed_per_s\":%.0f}%n", events, connections, perRequest, events / httpSeconds,
                    events / endSeconds);
        } finally {
            if (app != null) {
                app.stop();
            }
            scratch.drop();
            try (var files = Files.walk(data)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Request bodies, made before the clock starts. */
    private static List<byte[]> bodies(int requests, int perRequest) {
        Random r = new Random(11);
        UUID tenant = UUID.randomUUID();
        UUID user = UUID.randomUUID();
        List<byte[]> out = new ArrayList<>(requests);
        for (int q = 0; q < requests; q++) {
            StringBuilder sb = new StringBuilder(perRequest * 260);
            for (int i = 0; i < perRequest; i++) {
                String type = TYPES[r.nextInt(TYPES.length)];
                int email = r.nextInt(100_000);
                sb.append("{\"type\":\"").append(type).append('"');
                if (r.nextBoolean()) {
                    sb.append(",\"id\":\"").append(UUID.randomUUID()).append('"');
                }
                sb.append(",\"tenant\":\"").append(tenant).append("\",\"user\":\"").append(user).append('"');
                if (type.startsWith("warmup")) {
                    sb.append(",\"mailbox\":\"warm-").append(email % 50).append("@example.com\"")
                            .append(",\"partner_mailbox\":\"peer-").append(email % 500).append("@example.org\"");
                } else {
                    sb.append(",\"campaign\":\"campaign-").append(email % 40).append("\",\"mailbox\":\"mailbox-")
                            .append(email % 20).append("\",\"email\":\"email-").append(email).append("\",\"lead\":\"lead-")
                            .append(email).append("\",\"step\":\"").append(email % 4).append('"');
                    if (type.equals("bounced")) {
                        sb.append(",\"bounce_type\":\"").append(r.nextBoolean() ? "hard" : "soft")
                                .append("\",\"bounce_reason\":\"550 5.1.1 mailbox unavailable\"");
                    } else if (type.equals("replied")) {
                        sb.append(",\"message_id\":\"<").append(UUID.randomUUID()).append("@mail.example>\"");
                    }
                }
                sb.append(",\"occurred_at\":\"").append(Instant.now().minusSeconds(r.nextInt(3600))).append("\"}\n");
            }
            out.add(sb.toString().getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    private static void awaitKey(int port, String key) throws Exception {
        byte[] probe = ("{\"type\":\"sent\",\"tenant\":\"" + UUID.randomUUID() + "\",\"user\":\"" + UUID.randomUUID()
                + "\",\"campaign\":\"probe\",\"mailbox\":\"m\",\"email\":\"e\"}\n").getBytes(StandardCharsets.UTF_8);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        try (Client c = new Client(port)) {
            while (c.post(key, probe) != 202) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the edge never accepted the key");
                }
                Thread.sleep(100);
            }
        }
    }

    private static long count(String url, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(url, "postgres", null); Statement s = c.createStatement();
             ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    /** One keep-alive connection speaking just enough HTTP/1.1. */
    private static final class Client implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        Client(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setTcpNoDelay(true);
            in = socket.getInputStream();
            out = socket.getOutputStream();
        }

        int post(String key, byte[] body) throws IOException {
            out.write(("POST /v1/events HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer " + key
                    + "\r\nContent-Type: application/x-ndjson\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            String status = line();
            int length = 0;
            String h;
            while (!(h = line()).isEmpty()) {
                if (h.regionMatches(true, 0, "content-length:", 0, 15)) {
                    length = Integer.parseInt(h.substring(15).trim());
                }
            }
            if (in.readNBytes(length).length != length) {
                throw new IOException("response cut short");
            }
            return Integer.parseInt(status.split(" ")[1]);
        }

        private String line() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream(64);
            int c;
            while ((c = in.read()) != '\n') {
                if (c < 0) {
                    throw new IOException("connection closed");
                }
                if (c != '\r') {
                    b.write(c);
                }
            }
            return b.toString(StandardCharsets.US_ASCII);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
