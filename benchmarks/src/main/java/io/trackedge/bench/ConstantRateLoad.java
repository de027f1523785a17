package io.trackedge.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * A constant-rate HTTP/1.1 keep-alive load generator with coordinated-omission-corrected latency
 * (what wrk2 does; Debian does not ship wrk2). T threads (system property {@code threads}, default 2,
 * as {@code wrk -t2}) each drive their share of C connections through one NIO selector, as wrk does; each connection sends one request at a time on its own schedule,
 * {@code rate / C} per second, staggered. Latency is measured from the <em>intended</em> send time to
 * the last byte of the response, so a server that stalls is charged for every request it kept
 * waiting. The selector waits with millisecond timeouts, so values below about 1 ms carry up to 1 ms
 * of timer slack (as in wrk2). Request paths cycle through a file, one path a line.
 *
 * <p>Every request carries {@code User-Agent: ConstantRateLoad/1} unless system property {@code mix}
 * names a file of clients, one a line: {@code <client address>\t<User-Agent>} (either may be empty).
 * Then request i carries client i (mod their count): its User-Agent (none when empty) and its address
 * as {@code X-Forwarded-For}, which the edge believes only from a trusted proxy
 * ({@code EDGE_TRUSTED_PROXIES=127.0.0.1/32}). One User-Agent for every request would let the
 * classifier's User-Agent cache answer every event after the first, and measure nothing.
 *
 * <pre>java [-Dmix=clients.tsv] -cp benchmarks.jar io.trackedge.bench.ConstantRateLoad HOST PORT PATHS_FILE RATE CONNECTIONS SECONDS [WARMUP_SECONDS]</pre>
 *
 * Prints one JSON line: intended and achieved rate, counts, errors, latency percentiles in µs.
 */
public final class ConstantRateLoad {

    private static final class Conn {
        final SocketChannel ch;
        final ByteBuffer in = ByteBuffer.allocateDirect(16384);
        long intended;      // intended send time of the next (or outstanding) request
        boolean busy;       // a request is outstanding
        ByteBuffer out;     // unsent rest of the request
        int next;           // next path index

        Conn(SocketChannel ch) {
            this.ch = ch;
        }
    }

    public static void main(String[] args) throws Exception {
        int threads = Integer.parseInt(System.getProperty("threads", "2"));
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        List<String> paths = Files.readAllLines(Path.of(args[2])).stream().filter(s -> !s.isBlank()).toList();
        double rate = Double.parseDouble(args[3]);
        int conns = Integer.parseInt(args[4]);
        double seconds = Double.parseDouble(args[5]);
        double warmup = args.length > 6 ? Double.parseDouble(args[6]) : 2;

        byte[][] requests = requests(host, port, paths, clientHeaders(System.getProperty("mix")));
        long interval = (long) (1e9 * conns / rate); // per connection
        long start = System.nanoTime() + 200_000_000L;
        long measureFrom = start + (long) (warmup * 1e9);
        long end = measureFrom + (long) (seconds * 1e9);
        Histogram[] hs = new Histogram[threads];
        long[] errs = new long[threads];
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            final int id = t;
            hs[t] = new Histogram(60_000_000_000L, 3);
            ts[t] = Thread.ofPlatform().name("load-" + t).start(() -> {
                try {
                    errs[id] = drive(host, port, requests, id, threads, conns, interval, start, measureFrom, end, hs[id]);
                } catch (IOException e) {
                    errs[id] = -1;
                    System.err.println("load thread " + id + ": " + e);
                }
            });
        }
        // The generator's own CPU over the measured window: on a shared box it is part of the picture.
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long untilMeasure = measureFrom - System.nanoTime();
        if (untilMeasure > 0) {
            Thread.sleep(untilMeasure / 1_000_000, (int) (untilMeasure % 1_000_000));
        }
        long cpu0 = os.getProcessCpuTime();
        Histogram h = new Histogram(60_000_000_000L, 3);
        long errors = 0;
        for (int t = 0; t < threads; t++) {
            ts[t].join();
            h.add(hs[t]);
            errors += errs[t];
        }
        System.out.printf(Locale.ROOT,
                "{\"rate\":%.0f,\"connections\":%d,\"threads\":%d,\"seconds\":%.1f,\"requests\":%d,\"achieved_rps\":%.0f,\"errors\":%d,"
                        + "\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,\"generator_cpu_s\":%.2f}%n",
                rate, conns, threads, seconds, h.getTotalCount(), h.getTotalCount() / ((System.nanoTime() - measureFrom) / 1e9),
                errors, h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3,
                h.getValueAtPercentile(99) / 1e3, h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3,
                (os.getProcessCpuTime() - cpu0) / 1e9);
    }

    /** Prebuilt requests: path i with client headers i (mod their count), as many as the longer list. */
    static byte[][] requests(String host, int port, List<String> paths, List<String> clients) {
        byte[][] requests = new byte[Math.max(paths.size(), clients.size())][];
        for (int i = 0; i < requests.length; i++) {
            requests[i] = ("GET " + paths.get(i % paths.size()) + " HTTP/1.1\r\nHost: " + host + ":" + port
                    + "\r\n" + clients.get(i % clients.size()) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        }
        return requests;
    }

    /** Each client's header lines (CRLF-terminated) from a {@code mix} file, or the one default client. */
    static List<String> clientHeaders(String mixFile) throws IOException {
        if (mixFile == null || mixFile.isEmpty()) {
            return List.of("User-Agent: ConstantRateLoad/1\r\n");
        }
        List<String> clients = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(Path.of(mixFile), StandardCharsets.UTF_8)) {
            if (line.isEmpty()) {
                continue;
            }
            int tab = line.indexOf('\t');
            String ip = tab < 0 ? "" : line.substring(0, tab);
            String ua = tab < 0 ? line : line.substring(tab + 1);
            clients.add((ip.isEmpty() ? "" : "X-Forwarded-For: " + ip + "\r\n") + (ua.isEmpty() ? "" : "User-Agent: " + ua + "\r\n"));
        }
        if (clients.isEmpty()) {
            throw new IllegalArgumentException("mix file " + mixFile + " names no client");
        }
        return clients;
    }

    /** One thread's share: connections t, t + threads, ... of {@code conns}, through one selector. */
    private static long drive(String host, int port, byte[][] requests, int t, int threads, int conns, long interval,
                              long start, long measureFrom, long end, Histogram h) throws IOException {
        Selector selector = Selector.open();
        List<Conn> list = new java.util.ArrayList<>();
        for (int i = t; i < conns; i += threads) {
            SocketChannel ch = SocketChannel.open(new InetSocketAddress(host, port));
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.configureBlocking(false);
            Conn c = new Conn(ch);
            c.next = i % requests.length;
            c.intended = start + i * interval / conns;
            ch.register(selector, SelectionKey.OP_READ, c);
            list.add(c);
        }
        Conn[] cs = list.toArray(new Conn[0]);
        long errors = 0;
        int open = cs.length;
        while (open > 0) {
            long now = System.nanoTime();
            long wake = Long.MAX_VALUE;
            for (Conn c : cs) {
                if (c.busy || c.intended >= end) {
                    continue;
                }
                if (c.intended <= now) {
                    c.out = ByteBuffer.wrap(requests[c.next]);
                    c.next = (c.next + conns) % requests.length;
                    c.busy = true;
                    c.ch.write(c.out);
                    if (c.out.hasRemaining()) {
                        c.ch.keyFor(selector).interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                    }
                } else {
                    wake = Math.min(wake, c.intended);
                }
            }
            long waitNs = wake == Long.MAX_VALUE ? 100_000_000L : wake - System.nanoTime();
            int n = waitNs <= 0 ? selector.selectNow() : selector.select(Math.max(1, waitNs / 1_000_000));
            if (n > 0) {
                var it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    Conn c = (Conn) k.attachment();
                    if (k.isWritable()) {
                        c.ch.write(c.out);
                        if (!c.out.hasRemaining()) {
                            k.interestOps(SelectionKey.OP_READ);
                        }
                    }
                    if (k.isReadable()) {
                        if (c.ch.read(c.in) < 0) {
                            throw new IOException("connection closed by server");
                        }
                        int status = complete(c.in);
                        if (status != 0) {
                            long done = System.nanoTime();
                            if (c.intended >= measureFrom) {
                                h.recordValue(Math.min(done - c.intended, h.getHighestTrackableValue()));
                                if (status != 200 && status != 302) {
                                    errors++;
                                }
                            }
                            c.busy = false;
                            c.intended += interval;
                        }
                    }
                }
            }
            open = 0;
            for (Conn c : cs) {
                if (c.busy || c.intended < end) {
                    open++;
                }
            }
        }
        for (Conn c : cs) {
            c.ch.close();
        }
        selector.close();
        return errors;
    }

    /**
     * If {@code in} holds a whole response (headers and Content-Length body), consumes it and returns
     * its status code; else returns 0 and leaves the bytes.
     */
    private static int complete(ByteBuffer in) {
        int limit = in.position();
        int headerEnd = -1;
        for (int i = 3; i < limit; i++) {
            if (in.get(i) == '\n' && in.get(i - 1) == '\r' && in.get(i - 2) == '\n' && in.get(i - 3) == '\r') {
                headerEnd = i + 1;
                break;
            }
        }
        if (headerEnd < 0) {
            return 0;
        }
        int status = (in.get(9) - '0') * 100 + (in.get(10) - '0') * 10 + (in.get(11) - '0');
        long length = 0;
        for (int i = 12; i + 16 < headerEnd; i++) {
            if (in.get(i) == '\n' && matches(in, i + 1, "content-length:")) {
                int j = i + 16;
                while (in.get(j) == ' ') {
                    j++;
                }
                while (in.get(j) >= '0' && in.get(j) <= '9') {
                    length = length * 10 + (in.get(j++) - '0');
                }
                break;
            }
        }
        long total = headerEnd + length;
        if (limit < total) {
            return 0;
        }
        in.flip();
        in.position((int) total);
        in.compact();
        return status;
    }

    private static boolean matches(ByteBuffer b, int at, String lower) {
        for (int k = 0; k < lower.length(); k++) {
            if ((b.get(at + k) | 0x20) != lower.charAt(k) && b.get(at + k) != lower.charAt(k)) {
                return false;
            }
        }
        return true;
    }
}
