package io.trackedge.ingest;

import io.trackedge.config.AckMode;
import io.trackedge.config.EdgeConfig;
import io.trackedge.metrics.EdgeMetrics;
import io.trackedge.ring.EventRing;
import io.trackedge.workers.WorkerAnswers;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest API behind the public listener: the keys, the limits, and a small bounded pool of
 * workers that parse, validate and publish request bodies so that a 1 MiB body never stalls an
 * event loop. The event loop reads the body, hands it here, and gets the outcome back on itself.
 *
 * <p>Memory is bounded twice: each body by {@code max-body-bytes}, and all bodies being read or
 * waiting for a worker together by {@link #BUDGET_BODIES} times that; past it, and past
 * {@link #QUEUE} waiting requests, new requests get 503.
 */
public final class IngestService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(IngestService.class);
    static final int BUDGET_BODIES = 32;
    static final int QUEUE = 64;

    private final EdgeConfig.Ingest settings;
    private final IngestKeyCache keys;
    private final IngestProcessor processor;
    private final IngestMetrics metrics;
    private final ThreadPoolExecutor workers;
    private final AtomicLong buffered = new AtomicLong();
    private final long budget;

    /** @param retentionDays {@code edge.database.retention-days}: events older than the raw events kept are refused */
    public IngestService(EdgeConfig.Ingest settings, int retentionDays, EventRing ring, AckMode ack, IngestKeyCache keys,
                         EdgeMetrics metrics) {
        this.settings = settings;
        this.keys = keys;
        this.processor = new IngestProcessor(ring, ack != AckMode.MEMORY, settings.maxLines(), retentionDays);
        this.metrics = new IngestMetrics(metrics, keys);
        this.budget = (long) BUDGET_BODIES * settings.maxBodyBytes();
        int threads = Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors() / 2));
        AtomicInteger n = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE), r -> {
            Thread t = new Thread(r, "ingest-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        metrics.gauge("edge_ingest_buffered_bytes", "Bytes of ingest bodies being read or waiting for a worker", buffered::get);
    }

    public int maxBodyBytes() {
        return settings.maxBodyBytes();
    }

    public IngestMetrics metrics() {
        return metrics;
    }

    /** See {@link IngestKeyCache#reloadForUnknownKey}; never blocks. */
    public CompletableFuture<Boolean> reloadKeysFor(String authorization) {
        return keys.reloadForUnknownKey(authorization);
    }

    /** {@link #authenticate}, after one reload of the keys for a well-formed key not loaded ({@link IngestKeyCache#authenticateOrReload}). */
    public CompletableFuture<IngestKeyCache.Check> authenticateOrReload(String authorization) {
        return keys.authenticateOrReload(authorization);
    }

    /**
     * See {@link IngestKeyCache#authenticate}: the key's principal whatever its scopes, or null
     * (401). A key without the write scope is known but may not write: the caller answers 403
     * ({@link #mayNotWrite}). Cheap; event loops call it.
     */
    public IngestKeyCache.Principal authenticate(String authorization) {
        return keys.authenticate(authorization);
    }

    /** The 403's reason for a known key without the write scope, or null when it may write. */
    public static String mayNotWrite(IngestKeyCache.Principal p) {
        return p.canWrite() ? null
                : "key " + p.prefix() + " has no write scope (create one with: trackedge keys create --tenant <tenant uuid> --scope write)";
    }

    /** The key cache, which the stats API shares (it accepts keys with the read scope). */
    public IngestKeyCache keys() {
        return keys;
    }

    /** Reserves room for a body of {@code bytes}; false (reserving nothing) when the budget is spent. */
    public boolean reserve(int bytes) {
        long now = buffered.addAndGet(bytes);
        if (now > budget) {
            buffered.addAndGet(-bytes);
            return false;
        }
        return true;
    }

    public void release(int bytes) {
        buffered.addAndGet(-bytes);
    }

    /**
     * Processes a body on a worker, then calls {@code done} with the outcome on {@code loop}.
     *
     * @param listener the number of the loop's acknowledgement listener in the appender's
     *     {@link io.trackedge.ring.AckListeners}, told when the events are journaled
     * @return false when no worker can take it now (busy or stopping): nothing was done
     */
    public boolean submit(byte[] body, int length, BodyFormat format, IngestKeyCache.Principal principal,
                          int listener, Executor loop, Consumer<IngestOutcome> done) {
        try {
            workers.execute(() -> {
                IngestOutcome o = WorkerAnswers.answer(() -> processor.process(body, length, format, principal, listener), e -> {
                    log.error("ingest request failed", e);
                    return new IngestOutcome(500, IngestJson.error("internal error"), -1, 0, 0);
                });
                metrics.lines(o.accepted(), o.rejected());
                try {
                    loop.execute(() -> done.accept(o));
                } catch (RejectedExecutionException e) {
                    log.debug("event loop gone before an ingest answer: {}", e.toString());
                }
            });
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    /**
     * Takes no more requests and waits for those taken to be published into the ring; for a
     * graceful stop, before the ring is drained.
     *
     * @return true when every request taken was processed in time
     */
    public boolean drain(Duration timeout) throws InterruptedException {
        workers.shutdown();
        return workers.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        workers.shutdownNow();
        keys.close();
    }

    /** {@link #close()}, returning by {@code deadlineNanos} (a {@link System#nanoTime}). */
    public void close(long deadlineNanos) {
        workers.shutdownNow();
        keys.close(deadlineNanos);
    }
}
