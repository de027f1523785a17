package io.trackedge.jobs.testing;

import io.trackedge.sink.testing.Await;
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

/**
 * A redis-server of the test's own, on a free port, as a child process: the test may kill it
 * (SIGKILL), restart it on the same port (empty: no persistence) or flush it, and never touches the
 * machine's shared Redis.
 */
public final class OwnedRedis implements AutoCloseable {

    private final int port;
    private final Path dir;
    private Process process;

    private OwnedRedis(int port, Path dir) {
        this.port = port;
        this.dir = dir;
    }

    public static OwnedRedis start(Path workDir) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path dir = Files.createDirectories(workDir.resolve("redis-" + port));
        OwnedRedis r = new OwnedRedis(port, dir);
        r.startProcess();
        return r;
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    private void startProcess() throws Exception {
        process = new ProcessBuilder("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        Await.until("redis-server on port " + port + " answers PING", Duration.ofSeconds(30),
                () -> {
                    try {
                        return "+PONG".equals(command("PING"));
                    } catch (IOException starting) {
                        return false; // not listening yet
                    }
                });
    }

    /** SIGKILL: what the jobs see when Redis crashes. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** Starts it again on the same port, empty. */
    public void restart() throws Exception {
        if (process.isAlive()) {
            kill();
        }
        startProcess();
    }

    public void flushAll() throws IOException {
        String answer = command("FLUSHALL");
        if (!"+OK".equals(answer)) {
            throw new IOException("FLUSHALL answered " + answer);
        }
    }

    /** One inline command; the first line of the answer. */
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

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            kill();
        }
    }
}
