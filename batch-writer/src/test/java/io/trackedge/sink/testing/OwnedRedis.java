package io.trackedge.sink.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Redis server this test owns, so the test can kill it: the machine's {@code redis-server} as a
 * child process on a free loopback port, nothing persisted, its folder under /tmp. The machine's
 * shared Redis (port 6379) is never touched.
 *
 * The test may kill it (SIGKILL), start it again on the same port (empty), flush it, or send it a command.
 *
 * <p>Always close it (try-with-resources): a server still running is killed and its folder removed.
 */
public final class OwnedRedis implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    private final Path dir;
    private final int port;
    private Process process;

    private OwnedRedis(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    /** Starts {@code redis-server} and returns once it answers PING. */
    public static OwnedRedis start() throws IOException {
        Path dir = Files.createTempDirectory("owned-redis-");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        OwnedRedis redis = new OwnedRedis(dir, port);
        try {
            redis.startProcess();
        } catch (IOException | RuntimeException | Error e) {
            redis.close();
            throw e;
        }
        return redis;
    }

    private void startProcess() throws IOException {
        Process p = new ProcessBuilder(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--logfile", dir.resolve("redis.log").toString()))
                .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
        process = p;
        Await.until("redis-server on port " + port + " to answer PING", START_TIMEOUT, () -> answersPing() || !p.isAlive());
        if (!p.isAlive()) {
            throw new IOException("redis-server exited " + p.exitValue() + ": " + log());
        }
    }

    /** Starts it again on the same port, empty (nothing is persisted); kills it first if it runs. */
    public void restart() throws IOException, InterruptedException {
        if (process.isAlive()) {
            kill();
        }
        startProcess();
    }

    /** Empties it; throws unless Redis says OK. */
    public void flushAll() throws IOException {
        String answer = command("FLUSHALL");
        if (!"+OK".equals(answer)) {
            throw new IOException("FLUSHALL answered " + answer);
        }
    }

    /** Sends one inline command; returns the first line of the answer ({@code +OK}, {@code :3}, {@code -OOM ...}). */
    public String command(String inline) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            s.setSoTimeout(2000);
            OutputStream out = s.getOutputStream();
            out.write((inline + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder sb = new StringBuilder();
            int b;
            while ((b = in.read()) != -1 && b != '\r') {
                sb.append((char) b);
            }
            return sb.toString();
        }
    }

    public int port() {
        return port;
    }

    /** {@code redis://127.0.0.1:<port>}. */
    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** True when the server answers {@code PING} with {@code +PONG} within a second. */
    public boolean answersPing() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            s.setSoTimeout(1000);
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] b = in.readNBytes(7);
            return new String(b, StandardCharsets.US_ASCII).equals("+PONG\r\n");
        } catch (IOException refusedOrSilent) {
            return false;
        }
    }

    /** SIGKILL: the server is gone at once, without a chance to close its connections cleanly. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("stdout.log")) + Files.readString(dir.resolve("redis.log"));
        } catch (IOException e) {
            return "<no log: " + e + ">";
        }
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // a temp folder left behind is harmless
        }
    }
}
