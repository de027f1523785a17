package io.trackedge.fault;

import io.trackedge.http.Responses;
import io.trackedge.sink.testing.Await;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Fires pixel requests at an edge from several threads, each over its own keep-alive connection
 * with raw HTTP/1.1 (no client library that might retry a request behind our back). Every target
 * is sent at most once. A target counts as acknowledged only when its whole 200 response, the GIF
 * body included, has been received.
 *
 * <p>A thread ends when the targets run out, when {@link #stop} is called, or when it cannot
 * connect (the edge is gone or no longer accepting).
 */
public final class PixelLoad {

    /** One request: the id the journal check looks for and the pixel path that carries it. */
    public record Target(String id, String path) {
    }

    private final String host;
    private final int port;
    private final List<Target> targets;
    private final AtomicInteger next = new AtomicInteger();
    private final Set<String> sent = ConcurrentHashMap.newKeySet();
    private final Set<String> acked = ConcurrentHashMap.newKeySet();
    private final AtomicInteger ackedCount = new AtomicInteger();
    private final AtomicLong otherResponses = new AtomicLong();
    private final AtomicLong brokenExchanges = new AtomicLong();
    private final AtomicLong connectFailures = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();
    private final int threshold;
    private final CountDownLatch thresholdReached = new CountDownLatch(1);
    private volatile boolean stopped;
    private long intervalNanos; // 0: as fast as the edge answers
    private long startedAt;

    /** @param threshold {@link #awaitAcked} returns once this many targets are acknowledged */
    public PixelLoad(String host, int port, List<Target> targets, int threshold) {
        this.host = host;
        this.port = port;
        this.targets = List.copyOf(targets);
        this.threshold = threshold;
    }

    /**
     * Sends target {@code i} no earlier than {@code i / requestsPerSecond} seconds after {@link #start},
     * so that a test that acts at some point of the load (a kill once the sink has written) finds it
     * still running on a machine faster than the test's author's. Call before {@link #start}.
     */
    public PixelLoad paced(int requestsPerSecond) {
        if (requestsPerSecond <= 0) {
            throw new IllegalArgumentException("requestsPerSecond must be positive: " + requestsPerSecond);
        }
        intervalNanos = 1_000_000_000L / requestsPerSecond;
        return this;
    }

    public PixelLoad start(int threadCount) {
        startedAt = System.nanoTime();
        for (int t = 0; t < threadCount; t++) {
            Thread th = new Thread(this::run, "pixel-load-" + t);
            th.setDaemon(true);
            threads.add(th);
            th.start();
        }
        return this;
    }

    /** Waits until {@code threshold} targets are acknowledged; false on timeout or when every thread ended first. */
    public boolean awaitAcked(Duration timeout) {
        // A timeout is an answer here, not a failure: the caller decides what a load that did not get going means.
        Await.within(timeout, () -> thresholdReached.getCount() == 0 || threads.stream().noneMatch(Thread::isAlive));
        return thresholdReached.getCount() == 0;
    }

    public void stop() {
        stopped = true;
    }

    /** Waits for every thread to end; false when some are still running after {@code timeout}. */
    public boolean awaitDone(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread t : threads) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            if (t.isAlive()) {
                return false;
            }
        }
        return true;
    }

    /** Ids whose request was (at least partly) written. */
    public Set<String> sent() {
        return Set.copyOf(sent);
    }

    /** Ids whose whole 200 response was received. */
    public Set<String> acked() {
        return Set.copyOf(acked);
    }

    public long otherResponses() {
        return otherResponses.get();
    }

    public long brokenExchanges() {
        return brokenExchanges.get();
    }

    public long connectFailures() {
        return connectFailures.get();
    }

    public int total() {
        return targets.size();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%d targets, %d sent, %d acknowledged, %d other responses, %d broken exchanges, "
                + "%d failed connects", targets.size(), sent.size(), acked.size(), otherResponses.get(),
                brokenExchanges.get(), connectFailures.get());
    }

    private void run() {
        Socket socket = null;
        try {
            while (!stopped) {
                int i = next.getAndIncrement();
                if (i >= targets.size()) {
                    return;
                }
                Target t = targets.get(i);
                waitForTurn(i);
                if (socket == null) {
                    try {
                        socket = new Socket();
                        socket.setTcpNoDelay(true);
                        socket.setSoTimeout(30_000);
                        socket.connect(new InetSocketAddress(host, port), 5_000);
                    } catch (IOException e) {
                        connectFailures.incrementAndGet();
                        closeQuietly(socket);
                        return;
                    }
                }
                sent.add(t.id());
                try {
                    boolean close = exchange(socket, t);
                    if (close) {
                        closeQuietly(socket);
                        socket = null;
                    }
                } catch (IOException e) {
                    brokenExchanges.incrementAndGet();
                    closeQuietly(socket);
                    socket = null;
                }
            }
        } finally {
            closeQuietly(socket);
        }
    }

    private void waitForTurn(int i) {
        if (intervalNanos == 0) {
            return;
        }
        long due = startedAt + i * intervalNanos;
        for (long left; !stopped && (left = due - System.nanoTime()) > 0; ) {
            LockSupport.parkNanos(left);
        }
    }

    /** One request and its response; returns true when the server closes the connection after it. */
    private boolean exchange(Socket socket, Target t) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(("GET " + t.path() + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: trackedge-fault-test/1\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = input(socket);
        String head = readHead(in);
        String[] lines = head.split("\r\n");
        String[] status = lines[0].split(" ", 3);
        if (status.length < 2 || !status[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP response: " + lines[0]);
        }
        int code = Integer.parseInt(status[1]);
        int length = -1;
        boolean close = false;
        for (int h = 1; h < lines.length; h++) {
            int colon = lines[h].indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = lines[h].substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = lines[h].substring(colon + 1).trim();
            if (name.equals("content-length")) {
                length = Integer.parseInt(value);
            } else if (name.equals("connection") && value.equalsIgnoreCase("close")) {
                close = true;
            }
        }
        if (length < 0) {
            throw new IOException("response without Content-Length: " + head);
        }
        byte[] body = in.readNBytes(length);
        if (body.length < length) {
            throw new EOFException("body cut after " + body.length + " of " + length + " bytes");
        }
        if (code == 200 && Arrays.equals(body, Responses.GIF)) {
            acked.add(t.id());
            if (ackedCount.incrementAndGet() >= threshold) {
                thresholdReached.countDown();
            }
        } else {
            otherResponses.incrementAndGet();
        }
        return close;
    }

    private final ThreadLocal<Socket> bufferedFor = new ThreadLocal<>();
    private final ThreadLocal<InputStream> buffered = new ThreadLocal<>();

    private InputStream input(Socket socket) throws IOException {
        if (bufferedFor.get() != socket) {
            bufferedFor.set(socket);
            buffered.set(new BufferedInputStream(socket.getInputStream()));
        }
        return buffered.get();
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder(256);
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed " + (sb.isEmpty() ? "before a response" : "inside a response head"));
            }
            sb.append((char) b);
            state = switch (state) {
                case 0, 2 -> b == '\r' ? state + 1 : 0;
                case 1, 3 -> b == '\n' ? state + 1 : (b == '\r' ? 1 : 0);
                default -> 0;
            };
        }
        return sb.substring(0, sb.length() - 4);
    }

    private static void closeQuietly(Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
