package io.trackedge.fault;

import io.trackedge.journal.EventFields;
import io.trackedge.journal.JournalReader;
import io.trackedge.journal.RecordCodec;
import io.trackedge.token.KeyRing;
import io.trackedge.token.TokenSigner;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real {@code edge.jar} in a child JVM, for fault tests: started with {@code serve} on a data
 * directory in the development profile, on ephemeral ports read back from its stdout. Also signs
 * pixel URLs with the development key the edge made, scrapes its metrics and reads its journal.
 *
 * <p>Always close it (try-with-resources): a process still running is killed.
 */
public final class EdgeProcess implements AutoCloseable {

    private static final Pattern LISTENING =
            Pattern.compile("edge listening on http://(\\S+):(\\d+) \\(admin http://(\\S+):(\\d+)\\)");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Process process;
    private final Path dataDir;
    private final Path stderr;
    private final List<String> stdout;
    private final String host;
    private final int port;
    private final String adminHost;
    private final int adminPort;
    private TokenSigner signer;

    private EdgeProcess(Process process, Path dataDir, Path stderr, List<String> stdout, CompletableFuture<Matcher> listening)
            throws IOException {
        this.process = process;
        this.stdout = stdout;
        this.dataDir = dataDir;
        this.stderr = stderr;
        Matcher m;
        try {
            m = listening.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted while the edge started", e);
        } catch (ExecutionException | TimeoutException e) {
            String state = process.isAlive() ? "still running" : "exited " + exitValueQuietly();
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("the edge did not report its ports (" + state + "); stdout: " + stdout
                    + "\nstderr:\n" + stderrText(), e);
        }
        this.host = m.group(1);
        this.port = Integer.parseInt(m.group(2));
        this.adminHost = m.group(3);
        this.adminPort = Integer.parseInt(m.group(4));
    }

    /** Path of the packaged jar; failsafe runs after {@code package}, in the module directory. */
    public static Path jar() {
        Path base = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
        Path jar = base.resolve("target/edge.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " does not exist: run the *IT tests after `package` (mvn verify)");
        }
        return jar;
    }

    /** The java binary running this test, so the child runs on the same JDK. */
    public static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** Environment for a test edge: development profile, ephemeral ports on loopback, a small ring. */
    public static Map<String, String> baseEnvironment(Path dataDir) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("EDGE_PROFILE", "development");
        env.put("EDGE_DATA_DIR", dataDir.toString());
        env.put("EDGE_BIND", "127.0.0.1");
        env.put("EDGE_PORT", "0");
        env.put("EDGE_ADMIN_BIND", "127.0.0.1");
        env.put("EDGE_ADMIN_PORT", "0");
        env.put("EDGE_RING_SIZE", "4096");
        // Journal only, unless a test names a database: never the machine's shared one.
        env.put("EDGE_POSTGRES_SINK", "false");
        return env;
    }

    /** Starts {@code java -jar edge.jar serve} with {@link #baseEnvironment} plus {@code env} (null values remove). */
    public static EdgeProcess start(Path dataDir, Map<String, String> env) throws IOException {
        Files.createDirectories(dataDir);
        Map<String, String> merged = baseEnvironment(dataDir);
        merged.putAll(env);
        List<String> cmd = List.of(javaBinary(), "-Xms256m", "-Xmx256m", "-XX:+UseParallelGC",
                "--enable-native-access=ALL-UNNAMED", "-jar", jar().toString(), "serve");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dataDir.toFile());
        // Only the variables given here: nothing EDGE_* leaks in from the environment running the tests.
        pb.environment().keySet().removeIf(k -> k.startsWith("EDGE_"));
        merged.forEach((k, v) -> {
            if (v == null) {
                pb.environment().remove(k);
            } else {
                pb.environment().put(k, v);
            }
        });
        int n = 0;
        Path log;
        do {
            log = dataDir.resolve("edge-stderr-" + n++ + ".log");
        } while (Files.exists(log));
        pb.redirectError(log.toFile());
        Process p = pb.start();
        p.getOutputStream().close();
        CompletableFuture<Matcher> listening = new CompletableFuture<>();
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        listening.complete(m);
                    }
                }
            } catch (IOException ignored) {
                // the process went away
            }
            listening.completeExceptionally(new IOException("stdout closed before the edge reported its ports: " + lines));
        }, "edge-stdout-" + p.pid());
        reader.setDaemon(true);
        reader.start();
        return new EdgeProcess(p, dataDir, log, lines, listening);
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public int adminPort() {
        return adminPort;
    }

    public Path dataDir() {
        return dataDir;
    }

    public Path journalDir() {
        return dataDir.resolve("journal");
    }

    /** Lines the edge printed on stdout so far. */
    public List<String> stdout() {
        synchronized (stdout) {
            return List.copyOf(stdout);
        }
    }

    public Process process() {
        return process;
    }

    /** Signs with the development key the edge made in its data directory. */
    public synchronized TokenSigner signer() throws IOException {
        if (signer == null) {
            signer = signer(dataDir);
        }
        return signer;
    }

    public static TokenSigner signer(Path dataDir) throws IOException {
        String key = Files.readString(dataDir.resolve("dev-signing-key"), StandardCharsets.US_ASCII).trim();
        return new TokenSigner(KeyRing.parse(key));
    }

    /** Fields of one test email; {@code email} is the id the journal check looks for. */
    public static EventFields fields(UUID tenant, UUID user, String email) {
        return new EventFields(tenant, user, "campaign-fault", "mailbox@example.com", email, null, null, null);
    }

    /** Request path of the open pixel for {@code fields}. */
    public String pixelPath(EventFields fields) throws IOException {
        return "/o/" + signer().open(fields) + ".gif";
    }

    /** Request path of the one-click unsubscribe link for {@code fields}. */
    public String unsubscribePath(EventFields fields) throws IOException {
        return "/u/" + signer().unsubscribe(fields);
    }

    /**
     * Signs {@code count} open pixels for distinct emails {@code <prefix>-<n>} (one tenant and user),
     * the email id being the target's id.
     */
    public List<PixelLoad.Target> pixelTargets(String prefix, int count) throws IOException {
        UUID tenant = UUID.randomUUID();
        UUID user = UUID.randomUUID();
        List<PixelLoad.Target> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String email = prefix + "-" + i;
            out.add(new PixelLoad.Target(email, pixelPath(fields(tenant, user, email))));
        }
        return out;
    }

    /** As {@link #pixelTargets(String, int)}, the emails' tenants taken in turn from {@code tenants}. */
    public List<PixelLoad.Target> pixelTargets(String prefix, int count, List<UUID> tenants) throws IOException {
        UUID user = UUID.randomUUID();
        List<PixelLoad.Target> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String email = prefix + "-" + i;
            out.add(new PixelLoad.Target(email, pixelPath(fields(tenants.get(i % tenants.size()), user, email))));
        }
        return out;
    }

    /** SIGTERM: the edge drains and should exit 0. */
    public void terminate() {
        process.destroy();
    }

    /** SIGKILL: nothing runs in the edge after this. Waits for the process to be gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** Waits for exit; returns the exit code, or null when still running after {@code timeout}. */
    public Integer awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : null;
    }

    public String stderrText() {
        try {
            return Files.readString(stderr, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "<cannot read " + stderr + ": " + e + ">";
        }
    }

    private String exitValueQuietly() {
        try {
            return String.valueOf(process.exitValue());
        } catch (IllegalThreadStateException e) {
            return "running";
        }
    }

    /** GET on the admin listener. */
    public HttpResponse<String> admin(String path) throws IOException, InterruptedException {
        try (HttpClient c = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            return c.send(HttpRequest.newBuilder(URI.create("http://" + adminHost + ":" + adminPort + path))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    /** The value of one unlabelled metric from {@code /metrics}. */
    public double metric(String name) throws IOException, InterruptedException {
        String body = admin("/metrics").body();
        for (String line : body.split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError("no metric " + name + " in:\n" + body);
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** What a journal holds, read after the edge stopped. */
    public record JournalContents(Map<String, Integer> emailCounts, long records, long damagedRegions,
                                  long endPosition, long tornTailBytes) {

        public int count(String email) {
            return emailCounts.getOrDefault(email, 0);
        }
    }

    /**
     * Reads a whole journal directory from position 0. {@code tornTailBytes} is what lies in the
     * newest segment after its last whole record (what a writer opening it would cut).
     */
    public static JournalContents readJournal(Path journalDir) throws IOException {
        Map<String, Integer> counts = new HashMap<>();
        long[] records = {0};
        try (JournalReader r = new JournalReader(journalDir, 0, null)) {
            while (r.read((position, next, payload, offset, length) -> {
                counts.merge(RecordCodec.decode(payload, offset, length).fields().email(), 1, Integer::sum);
                records[0]++;
            }, 4096) > 0) {
                // keep reading
            }
            long end = r.position();
            long lastBase = -1;
            Path last = null;
            try (var files = Files.list(journalDir)) {
                for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".seg")).toList()) {
                    long base = Long.parseLong(f.getFileName().toString().replace(".seg", ""));
                    if (base > lastBase) {
                        lastBase = base;
                        last = f;
                    }
                }
            }
            long torn = last == null ? 0 : lastBase + Files.size(last) - end;
            return new JournalContents(counts, records[0], r.damagedRegions(), end, torn);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
