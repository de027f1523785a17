package io.trackedge.testing;

import io.trackedge.EdgeApp;
import io.trackedge.config.ConfigLoader;
import io.trackedge.config.EdgeConfig;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.JournalReader;
import io.trackedge.journal.RecordCodec;
import io.trackedge.sink.SinkHealth;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.testing.Await;
import io.trackedge.token.KeyRing;
import io.trackedge.token.SigningKey;
import io.trackedge.token.TokenSigner;
import io.trackedge.token.TrackingUrls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * An edge started in this JVM on ephemeral ports with a fresh data folder, for tests over real
 * sockets. Extra settings are given as the environment variables the edge reads.
 */
public final class TestEdge implements AutoCloseable {

    public static final KeyRing KEYS = new KeyRing(List.of(new SigningKey(7, bytes(32, 7))));
    public static final UUID TENANT = UUID.fromString("0f8fad5b-d9cb-469f-a165-70867728950e");
    public static final UUID USER = UUID.fromString("7c9e6679-7425-40de-944b-e07fc1f90ae7");

    private final Path dataDir;
    private final EdgeConfig config;
    private final EdgeApp app;
    private final TrackingUrls urls;

    private TestEdge(Path dataDir, EdgeConfig config, EdgeApp app) {
        this.dataDir = dataDir;
        this.config = config;
        this.app = app;
        this.urls = new TrackingUrls("http://t.example", new TokenSigner(KEYS));
    }

    public static TestEdge start(String... envPairs) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("edge-test-");
        Map<String, String> env = new HashMap<>();
        env.put("EDGE_PORT", "0");
        env.put("EDGE_ADMIN_PORT", "0");
        env.put("EDGE_BIND", "127.0.0.1");
        env.put("EDGE_DATA_DIR", dir.toString());
        env.put("EDGE_PROFILE", "production");
        env.put("EDGE_SIGNING_KEYS", KEYS.signingKey().format());
        env.put("EDGE_JOURNAL_SEGMENT_BYTES", "4MiB");
        env.put("EDGE_JOURNAL_MAX_BYTES", "64MiB");
        env.put("EDGE_SHUTDOWN_GRACE", "5s");
        env.put("EDGE_POSTGRES_SINK", "false");
        for (int i = 0; i < envPairs.length; i += 2) {
            env.put(envPairs[i], envPairs[i + 1]);
        }
        EdgeConfig config = ConfigLoader.load(null, env);
        TestEdge edge = new TestEdge(dir, config, EdgeApp.start(config, KEYS));
        edge.awaitPostgresSinkOpened();
        return edge;
    }

    /**
     * With the Postgres sink on, waits until its first open has finished (migrations applied) or
     * failed: the edge serves requests before that, and a test that then counts rows would race the
     * migrations on a slow machine.
     */
    private void awaitPostgresSinkOpened() {
        for (SinkLoop loop : app.postgresSinkLoops()) {
            Await.until("the " + loop.name() + " sink's first open (migrations)", Duration.ofMinutes(2),
                    () -> loop.health().state() != SinkHealth.State.STARTING);
        }
    }

    public static EventFields fields(String email) {
        return new EventFields(TENANT, USER, "camp-1", "mbox-1", email, "lead-1", "step-2", null);
    }

    /** Path and query of a pixel URL for {@code email}. */
    public String pixelPath(String email) {
        return pathOf(urls.pixel(fields(email)));
    }

    /** Path and query of a pixel URL for {@code email} of {@code tenant}. */
    public String pixelPath(UUID tenant, String email) {
        return pathOf(urls.pixel(new EventFields(tenant, USER, "camp-1", "mbox-1", email, "lead-1", "step-2", null)));
    }

    /**
     * Fetches the pixels of {@code n} emails of {@code tenant}, named {@code prefix} and a number from 0, over
     * one keep-alive connection; fails on any answer but 200.
     */
    public void opens(UUID tenant, String prefix, int n) throws IOException {
        try (RawHttp c = new RawHttp(port())) {
            for (int i = 0; i < n; i++) {
                int status = c.get(pixelPath(tenant, prefix + i)).status();
                if (status != 200) {
                    throw new AssertionError("pixel " + prefix + i + " answered " + status);
                }
            }
        }
    }

    /** The running edge's PostHog sink loop, or null without one. */
    public SinkLoop posthogSinkLoop() {
        return app.posthogSinkLoop();
    }

    /** The running edge's sink loops, one per PostgreSQL cluster. */
    public List<SinkLoop> postgresSinkLoops() {
        return app.postgresSinkLoops();
    }

    public String clickPath(String email, String destination, boolean urlInToken) {
        return pathOf(urls.click(fields(email), destination, urlInToken));
    }

    private static String pathOf(String url) {
        return url.substring("http://t.example".length());
    }

    /** The running edge's own metrics registry (its callbacks reach the ring, the journal and the sinks). */
    public io.prometheus.metrics.model.registry.PrometheusRegistry metricsRegistry() {
        return app.metrics().registry();
    }

    public io.trackedge.ingest.IngestKeyCache ingestKeys() {
        return app.ingestKeys();
    }

    /** The admin listener's {@code /metrics} text. */
    public String metrics() throws IOException {
        return admin("/metrics");
    }

    /** The body of the admin listener's answer to a GET of {@code path}, whatever its status. */
    public String admin(String path) throws IOException {
        try (RawHttp admin = new RawHttp(adminPort())) {
            admin.send("GET " + path + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            return admin.read(false).bodyText();
        }
    }

    /** The value of {@code series} (name and labels as exposed) in a {@link #metrics()} text; NaN when it has no such line. */
    public static double sample(String metrics, String series) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^" + java.util.regex.Pattern.quote(series) + " (\\S+)$")
                .matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    public int port() {
        return app.port();
    }

    public int adminPort() {
        return app.adminPort();
    }

    public Path dataDir() {
        return dataDir;
    }

    public EdgeConfig config() {
        return config;
    }

    /** Every event in the journal files now (reads whatever has been written). */
    public List<EventRecord> journalEvents() {
        List<EventRecord> out = new ArrayList<>();
        try (JournalReader r = new JournalReader(config.journalDir(), 0, null)) {
            while (r.read((pos, next, buf, off, len) -> out.add(RecordCodec.decode(buf, off, len)), 10_000) > 0) {
                // keep reading
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }

    public void stop() throws IOException {
        app.stop();
    }

    @Override
    public void close() throws IOException {
        app.stop();
    }

    static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed * 31 + i);
        }
        return b;
    }
}
