package io.trackedge.ring;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the journal's disk takes writes, as the appender last found it, and a probe that finds
 * out again on its own while it does not.
 *
 * <p>A failed batch makes the journal unhealthy (readiness fails, so a load balancer drains the
 * node). Without traffic no batch would ever try the disk again, so while unhealthy a probe writes
 * and fsyncs {@link #PROBE_BYTES} bytes to a file in the journal folder every
 * {@link #PROBE_INTERVAL_MILLIS} ms, then deletes it; when that works, and no batch failed
 * meanwhile, the journal is healthy again. A batch written also makes it healthy.
 *
 * <p>Thread-safe: the appender reports, the probe runs on its own daemon thread, readers poll.
 */
public final class JournalHealth implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(JournalHealth.class);
    static final long PROBE_INTERVAL_MILLIS = 1000;
    /** About one busy ring batch: a disk that takes less would refuse the next batch anyway. */
    static final int PROBE_BYTES = 64 * 1024;
    static final String PROBE_FILE = ".disk-probe";

    private final Path dir;
    private final AtomicLong writeFailures = new AtomicLong();
    private final AtomicLong lost = new AtomicLong();
    private volatile boolean healthy = true;
    private volatile long unhealthySinceMillis;
    private volatile String lastError = "";
    private ScheduledExecutorService prober;

    JournalHealth(Path dir) {
        this.dir = dir;
    }

    /** Starts the probe thread (idle while healthy). */
    synchronized void start() {
        if (prober != null || dir == null) {
            return;
        }
        prober = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "journal-probe");
            t.setDaemon(true);
            return t;
        });
        prober.scheduleWithFixedDelay(this::probe, PROBE_INTERVAL_MILLIS, PROBE_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** A batch was written. Appender thread. */
    void wrote() {
        if (!healthy) {
            synchronized (this) {
                healthy = true;
            }
            log.info("journal writes succeed again after {} s", (System.currentTimeMillis() - unhealthySinceMillis) / 1000);
        }
    }

    /** A batch was refused; {@code lostEvents} of it are not in the journal. Appender thread. */
    void failed(Exception cause, long lostEvents) {
        synchronized (this) {
            writeFailures.incrementAndGet();
            lost.addAndGet(lostEvents);
            if (healthy) {
                unhealthySinceMillis = System.currentTimeMillis();
            }
            healthy = false;
            lastError = cause.getCause() != null ? cause.getCause().toString() : cause.toString();
        }
    }

    /** Tries the disk once when unhealthy; public for tests that cannot wait for the timer. */
    public void probe() {
        if (healthy) {
            return;
        }
        long failuresBefore = writeFailures.get();
        Path file = dir.resolve(PROBE_FILE);
        try {
            try (FileChannel c = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.allocate(PROBE_BYTES);
                while (b.hasRemaining()) {
                    c.write(b);
                }
                c.force(true);
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException | RuntimeException e) {
            lastError = "probe: " + e;
            return;
        }
        boolean recovered;
        synchronized (this) {
            // A batch that failed while the probe ran is newer news than the probe.
            recovered = writeFailures.get() == failuresBefore && !healthy;
            if (recovered) {
                healthy = true;
            }
        }
        if (recovered) {
            log.info("journal disk takes writes again (probe of {} bytes written and synced); ready", PROBE_BYTES);
        }
    }

    /** False after a failed batch, until a batch is written or a probe succeeds. */
    public boolean healthy() {
        return healthy;
    }

    /** For {@code /readyz}: why the journal is failing and since when, or "" when healthy. */
    public String detail() {
        if (healthy) {
            return "";
        }
        return "the last journal write failed (" + lastError + ") since "
                + Instant.ofEpochMilli(unhealthySinceMillis) + "; probing the disk every "
                + PROBE_INTERVAL_MILLIS + " ms; see edge_journal_write_failures_total";
    }

    public long writeFailures() {
        return writeFailures.get();
    }

    public long lostToWriteFailures() {
        return lost.get();
    }

    @Override
    public synchronized void close() {
        if (prober != null) {
            prober.shutdownNow();
            prober = null;
        }
    }
}
