package io.trackedge.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * A constant-rate HTTP/1.1 keep-alive load generator with coordinated-omission-corrected latency
 * (what wrk2 does, which Debian does not ship). Each of C connections sends one request at a time on
 * its own schedule, {@code rate / C} per second, staggered; latency is measured from the
 * <em>intended</em> send time to the last byte of the response, so a stalled server is charged for
 * every request it kept waiting. Request paths cycle through a file, one path a line.
 *
 * <pre>java -cp benchmarks.jar io.trackedge.bench.ConstantRateLoad HOST PORT PATHS_FILE RATE CONNECTIONS SECONDS [WARMUP_SECONDS]</pre>
 *
 * Prints one JSON line: intended and achieved rate, counts, errors, latency percentiles in µs.
 */
public final class ConstantRateLoad {

    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        List<String> paths = Files.readAllLines(Path.of(args[2])).stream().filter(s -> !s.isBlank()).toList();
        double rate = Double.parseDouble(args[3]);
        int conns = Integer.parseInt(args[4]);
        double seconds = Double.parseDouble(args[5]);
        double warmup = args.length > 6 ? Double.parseDouble(args[6]) : 2;

        byte[][] requests = new byte[paths.size()][];
        for (int i = 0; i < requests.length; i++) {
            requests[i] = ("GET " + paths.get(i) + " HTTP/1.1\r\nHost: " + host + ":" + port
                    + "\r\nUser-Agent: ConstantRateLoad/1\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        }
        long intervalNs = (long) (1e9 * conns / rate); // per connection
        long start = System.nanoTime() + 200_000_000L;
        long measureFrom = start + (long) (warmup * 1e9);
        long end = measureFrom + (long) (seconds * 1e9);
        Histogram[] hist = new Histogram[conns];
        long[] sent = new long[conns];
        long[] errors = new long[conns];
        CountDownLatch done = new CountDownLatch(conns);
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < conns; c++) {
            final int id = c;
            hist[c] = new Histogram(60_000_000_000L, 3);
            Thread t = Thread.ofPlatform().daemon().name("load-" + c).start(() -> {
                try {
                    run(host, port, requests, id, conns, start + id * intervalNs / conns, intervalNs, measureFrom, end,
                            hist[id], sent, errors);
                } catch (IOException e) {
                    errors[id]++;
                    System.err.println("connection " + id + ": " + e);
                } finally {
                    done.countDown();
                }
            });
            threads.add(t);
        }
        done.await();
        Histogram all = new Histogram(60_000_000_000L, 3);
        long total = 0;
        long errs = 0;
        for (int c = 0; c < conns; c++) {
            all.add(hist[c]);
            total += sent[c];
            errs += errors[c];
        }
        System.out.printf(Locale.ROOT,
                "{\"rate\":%.0f,\"connections\":%d,\"seconds\":%.1f,\"requests\":%d,\"achieved_rps\":%.0f,\"errors\":%d,"
                        + "\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f}%n",
                rate, conns, seconds, all.getTotalCount(), all.getTotalCount() / seconds, errs,
                all.getValueAtPercentile(50) / 1e3, all.getValueAtPercentile(90) / 1e3,
                all.getValueAtPercentile(99) / 1e3, all.getValueAtPercentile(99.9) / 1e3, all.getMaxValue() / 1e3);
    }

    private static void run(String host, int port, byte[][] requests, int id, int conns, long first, long interval,
                            long measureFrom, long end, Histogram h, long[] sent, long[] errors) throws IOException {
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(host, port));
            OutputStream out = s.getOutputStream();
            InputStream in = new BufferedInputStream(s.getInputStream(), 4096);
            int next = id;
            for (long intended = first; intended < end; intended += interval) {
                long now;
                while ((now = System.nanoTime()) < intended) {
                    LockSupport.parkNanos(intended - now);
                }
                out.write(requests[next]);
                next += conns;
                if (next >= requests.length) {
                    next %= requests.length;
                }
                int status = readResponse(in);
                long done = System.nanoTime();
                if (intended >= measureFrom) {
                    h.recordValue(Math.min(done - intended, h.getHighestTrackableValue()));
                    sent[id]++;
                    if (status != 200 && status != 302) {
                        errors[id]++;
                    }
                }
            }
        }
    }

    /** Reads one response (status line, headers, Content-Length body); returns the status code. */
    private static int readResponse(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder(64);
        int status = -1;
        long length = 0;
        boolean firstLine = true;
        while (true) {
            line.setLength(0);
            int b;
            while ((b = in.read()) != '\n') {
                if (b < 0) {
                    throw new IOException("connection closed by server");
                }
                if (b != '\r') {
                    line.append((char) b);
                }
            }
            if (line.isEmpty()) {
                break;
            }
            if (firstLine) {
                status = Integer.parseInt(line.substring(9, 12));
                firstLine = false;
            } else if (line.length() > 15 && line.substring(0, 15).equalsIgnoreCase("content-length:")) {
                length = Long.parseLong(line.substring(15).trim());
            }
        }
        for (long skipped = 0; skipped < length; ) {
            long n = in.skip(length - skipped);
            if (n <= 0) {
                if (in.read() < 0) {
                    throw new IOException("connection closed in body");
                }
                n = 1;
            }
            skipped += n;
        }
        return status;
    }
}
