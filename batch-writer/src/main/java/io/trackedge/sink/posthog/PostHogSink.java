package io.trackedge.sink.posthog;

import io.trackedge.journal.CorruptRecordException;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.JournalReader;
import io.trackedge.journal.RecordCodec;
import io.trackedge.journal.Segments;
import io.trackedge.sink.SinkThread;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves events from one edge node's journal to PostHog's {@code /batch/} endpoint, from its own
 * cursor (a {@link CursorFile} in the data folder). The cursor moves past an event only once
 * PostHog accepted it (a 2xx for a request that held it), refused it for itself alone, or it waited
 * longer than {@link Settings#maxLag}; so after a crash, an outage or a restart every event is sent
 * again from the cursor, under the same {@code uuid}, which PostHog counts once.
 *
 * <p>Answers and what they do:
 * <ul>
 *   <li>2xx: the events of the request are delivered.
 *   <li>413 or 400 for several events: the request is split in two halves, each sent again, down to
 *       single events. An event refused alone is <em>rejected</em> (counted, logged, skipped), but
 *       only when PostHog accepted some other event of the same delivery; a 400 or 413 for every
 *       single event is taken as a fault of the request or the endpoint and retried instead.
 *   <li>Anything else (5xx, 429, 401, 403, 404, ...), a refused connection, a reset or a timeout:
 *       nothing moves; the same events are sent again after a capped exponential backoff (at least
 *       {@code Retry-After}).
 * </ul>
 *
 * <p>Holds at most one batch in memory; the journal is the buffer, so PostHog slow or down slows
 * nothing but this thread. Runs on its own thread; {@link #wakeUp} is called by the journal
 * appender after each write.
 */
public final class PostHogSink implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(PostHogSink.class);
    private static final long FIRST_BACKOFF_MILLIS = 250;
    /** Expired events skipped per pass, so that a long skip still checks for stop and commits. */
    private static final int SKIP_PER_PASS = 100_000;

    /**
     * @param host scheme, host and port (and a path prefix, if PostHog sits behind one)
     * @param batchSize most events per request
     * @param batchBytes a request is closed once its events hold this many bytes of JSON (so it
     *     may exceed it by one event)
     * @param linger how long a partial batch waits for more events before it is sent
     * @param timeout for connecting and for each request's answer
     * @param maxBackoff longest wait between retries
     * @param maxLag an event journaled longer ago than this is given up (skipped and counted)
     *     instead of sent; how long the journal keeps events for PostHog
     * @param sendIp send the client address as {@code $ip}
     * @param gzip compress request bodies
     */
    public record Settings(URI host, String apiKey, int batchSize, int batchBytes, Duration linger, Duration timeout,
                           Duration maxBackoff, Duration maxLag, boolean sendIp, boolean gzip) {
        public Settings {
            Objects.requireNonNull(host, "host");
            if (host.getScheme() == null || !host.getScheme().matches("https?") || host.getHost() == null) {
                throw new IllegalArgumentException("host must be http(s)://host[:port], got " + host);
            }
            if (apiKey == null || apiKey.isBlank()) {
                throw new IllegalArgumentException("the API key must not be empty");
            }
            if (batchSize < 1 || batchBytes < 1) {
                throw new IllegalArgumentException("batch size and bytes must be positive, got " + batchSize + ", " + batchBytes);
            }
            for (Duration d : new Duration[] {linger, timeout, maxBackoff, maxLag}) {
                if (d == null || d.isNegative()) {
                    throw new IllegalArgumentException("durations must not be negative, got " + d);
                }
            }
            if (timeout.isZero() || maxLag.isZero()) {
                throw new IllegalArgumentException("timeout and max-lag must be positive");
            }
        }

        @Override
        public String toString() {
            return "Settings[host=" + host + ", apiKey=<redacted>, batchSize=" + batchSize + ", batchBytes=" + batchBytes
                    + ", linger=" + linger + ", timeout=" + timeout + ", maxBackoff=" + maxBackoff + ", maxLag=" + maxLag
                    + ", sendIp=" + sendIp + ", gzip=" + gzip + "]";
        }
    }

    /** One event read from the journal and not yet passed by the cursor. */
    private static final class Pending {
        final UUID id;
        final String event;
        final long occurredAtMicros;
        final long journaledAtMillis;
        final long next;
        final byte[] json;
        boolean done;
        String refusal;

        Pending(EventRecord e, long next, boolean sendIp) {
            this.id = e.id();
            this.event = PostHogEvents.eventName(e.type());
            this.occurredAtMicros = e.occurredAtMicros();
            // The edge's UUIDv7 carries when the event was journaled; occurred_at may be older
            // (a mail server reporting late), and max-lag is about how long the journal waited.
            this.journaledAtMillis = e.id().version() == 7 ? e.id().getMostSignificantBits() >>> 16 : occurredAtMicros / 1000;
            this.next = next;
            this.json = PostHogEvents.encode(e, sendIp);
        }
    }

    /** No answer to act on: the same events go again later. */
    private static final class RetryLater extends Exception {
        final Duration retryAfter;

        RetryLater(String message, Duration retryAfter, Throwable cause) {
            super(message, cause);
            this.retryAfter = retryAfter;
        }
    }

    private final Path journalDir;
    private final LongSupplier journalLimit;
    private final UUID journalId;
    private final CursorFile cursorFile;
    private final Settings settings;
    private final PostHogStats stats;
    private final LongConsumer onCommitted;
    private final BatchApi api;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private final List<Pending> refused = new ArrayList<>();
    private long pendingBytes;
    private long firstPendingNanos;
    private long committed;
    private long doneTo;
    private long doneEvents;
    private boolean acceptedAny;
    private JournalReader reader;
    private volatile boolean running = true;
    private volatile boolean drain;
    private final SinkThread worker = new SinkThread();

    /**
     * @param journalLimit the writer's flushed position (the reader never reads past it)
     * @param journalId the journal's {@code NodeId}; a cursor file of another journal is ignored
     * @param cursorPath where the cursor is kept, e.g. {@code <data-dir>/posthog-cursor}
     * @param onCommitted told each committed position, e.g. to let the journal delete segments
     */
    public PostHogSink(Path journalDir, LongSupplier journalLimit, UUID journalId, Path cursorPath, Settings settings,
                       PostHogStats stats, LongConsumer onCommitted) {
        this.journalDir = journalDir;
        this.journalLimit = journalLimit;
        this.journalId = journalId;
        this.cursorFile = new CursorFile(cursorPath);
        this.settings = settings;
        this.stats = stats;
        this.onCommitted = onCommitted;
        this.api = new BatchApi(settings.host(), settings.apiKey(), settings.timeout(), settings.gzip());
    }

    public Thread start() {
        return worker.start(this, "sink-posthog");
    }

    /** New events are in the journal. Cheap; callable from any thread. */
    public void wakeUp() {
        worker.wakeUp();
    }

    /** Asks the sink to send what the journal holds now and then stop; {@link #stop} waits for it. */
    public void drain() {
        drain = true;
        Thread t = worker.thread();
        if (t != null) {
            LockSupport.unpark(t); // whatever it waits for
        }
    }

    /**
     * Stops after sending what the journal holds now, or after {@code timeout}, whichever is first.
     * What is not sent stays in the journal for the next start.
     *
     * @return true when the sink caught up before stopping
     */
    public boolean stop(Duration timeout) throws InterruptedException {
        drain();
        Thread t = worker.thread();
        if (t != null) {
            t.join(Math.max(1, timeout.toMillis()));
            running = false;
            LockSupport.unpark(t);
            t.join(500);
            if (t.isAlive()) {
                // Blocked in a request to a slow PostHog: abandon it; the cursor file is unaffected.
                t.interrupt();
                t.join(TimeUnit.SECONDS.toMillis(5));
            }
        }
        running = false;
        api.close();
        return stats.sink.committedPosition.get() >= journalLimit.getAsLong();
    }

    public URI endpoint() {
        return api.endpoint();
    }

    @Override
    public void run() {
        try {
            long start = openCursor();
            reader = new JournalReader(journalDir, start, journalLimit);
            log.info("posthog sink sending to {} from journal position {}", api.endpoint(), start);
            pump();
        } catch (InterruptedException e) {
            log.info("posthog sink stopped while waiting for PostHog; the journal keeps the rest from position {}", committed);
        } catch (CorruptRecordException e) {
            // A record that passed its checksum but does not decode is a bug in the writer; stop loudly.
            log.error("journal record at {} does not decode; the posthog sink stops here", reader.position(), e);
            stats.sink.up = false;
            stats.sink.lastError = e.getMessage();
        } finally {
            closeReader();
        }
    }

    /** Reads the committed cursor; starts at the oldest kept event when there is none for this journal. */
    private long openCursor() {
        List<Long> bases = Segments.list(journalDir);
        long oldest = bases.isEmpty() ? 0 : bases.get(0);
        long position;
        Optional<CursorFile.Cursor> c;
        try {
            c = cursorFile.read();
        } catch (IOException e) {
            // PostHog counts a resent uuid once, so starting over costs requests, not duplicates.
            log.error("{}; sending again from the oldest event the journal keeps", e.getMessage());
            c = Optional.empty();
        }
        if (c.isEmpty()) {
            position = oldest;
        } else if (!c.get().journal().equals(journalId)) {
            log.warn("{} belongs to journal {}, not to this journal {}; starting at this journal's oldest event",
                    cursorFile.path(), c.get().journal(), journalId);
            position = oldest;
        } else if (c.get().position() < oldest) {
            log.warn("journal events from position {} to {} were deleted before PostHog got them; resuming at {}",
                    c.get().position(), oldest, oldest);
            position = oldest;
        } else {
            position = c.get().position();
        }
        long end = journalLimit.getAsLong();
        if (position > end) {
            log.warn("posthog cursor {} is past the journal's end {} (its tail was lost); resuming at the end", position, end);
            position = end;
        }
        committed = -1;
        doneTo = position;
        commit();
        stats.sink.backlogAtStart.set(stats.sink.countBacklog(journalDir, position, journalLimit));
        return position;
    }

    private void pump() throws InterruptedException {
        long lingerNanos = settings.linger().toNanos();
        long backoff = FIRST_BACKOFF_MILLIS;
        while (running) {
            try {
                expireHead();
                fill();
            } catch (UncheckedIOException e) {
                failed("journal read failed: " + e.getMessage(), e);
                reopenReader();
                sleep(jitter(backoff));
                backoff = Math.min(backoff * 2, settings.maxBackoff().toMillis());
                continue;
            }
            commit();
            if (pending.isEmpty()) {
                stats.sink.oldestPendingMicros.set(0);
                if (drain) {
                    return;
                }
                worker.awaitEvents(TimeUnit.MILLISECONDS.toNanos(50), () -> journalLimit.getAsLong() > reader.position());
                continue;
            }
            stats.sink.oldestPendingMicros.set(pending.peekFirst().occurredAtMicros);
            if (!full() && !drain) {
                long waited = System.nanoTime() - firstPendingNanos;
                if (waited < lingerNanos) {
                    LockSupport.parkNanos(lingerNanos - waited);
                    continue;
                }
            }
            try {
                deliver();
                popDone();
                commit();
                if (!stats.sink.up) {
                    log.info("posthog sink delivering again after {} s", (System.currentTimeMillis() - stats.sink.downSinceMillis) / 1000);
                }
                stats.sink.up = true;
                stats.sink.lastError = "";
                backoff = FIRST_BACKOFF_MILLIS;
            } catch (RetryLater e) {
                popDone();
                commit();
                failed(e.getMessage(), e.getCause());
                sleep(Math.max(jitter(backoff), e.retryAfter.toMillis()));
                backoff = Math.min(backoff * 2, settings.maxBackoff().toMillis());
            }
        }
    }

    private boolean full() {
        return pending.size() >= settings.batchSize() || pendingBytes >= settings.batchBytes();
    }

    private boolean expired(Pending p, long nowMillis) {
        return nowMillis - p.journaledAtMillis > settings.maxLag().toMillis();
    }

    /** Reads records until the batch is full or the journal has no more; expired ones are skipped. */
    private void fill() {
        int skipped = 0;
        long now = System.currentTimeMillis();
        while (!full() && skipped < SKIP_PER_PASS) {
            boolean[] skip = new boolean[1];
            int n = reader.read((pos, next, buf, off, len) -> {
                Pending p = new Pending(RecordCodec.decode(buf, off, len), next, settings.sendIp());
                if (pending.isEmpty() && expired(p, now)) {
                    skip[0] = true;
                    stats.skippedMaxLag.incrementAndGet();
                    doneTo = next;
                    doneEvents++;
                    return;
                }
                if (pending.isEmpty()) {
                    firstPendingNanos = System.nanoTime();
                }
                pending.addLast(p);
                pendingBytes += p.json.length;
            }, 1);
            if (n == 0) {
                return;
            }
            if (skip[0]) {
                skipped++;
            }
        }
    }

    /** Gives up the oldest events once they waited longer than max-lag, sent or not. */
    private void expireHead() {
        long now = System.currentTimeMillis();
        Pending p;
        while ((p = pending.peekFirst()) != null && (p.done || expired(p, now))) {
            if (!p.done) {
                stats.skippedMaxLag.incrementAndGet();
            }
            pop();
        }
    }

    private void popDone() {
        while (!pending.isEmpty() && pending.peekFirst().done) {
            pop();
        }
    }

    private void pop() {
        Pending p = pending.removeFirst();
        pendingBytes -= p.json.length;
        doneTo = p.next;
        doneEvents++;
    }

    /** Persists the cursor when it moved; a failed write is retried at the next commit. */
    private void commit() {
        if (doneTo == committed) {
            return;
        }
        try {
            cursorFile.write(new CursorFile.Cursor(journalId, doneTo));
        } catch (IOException e) {
            failed("cannot write " + cursorFile.path() + ": " + e, e);
            return;
        }
        committed = doneTo;
        stats.sink.committedPosition.set(committed);
        stats.sink.committedEvents.addAndGet(doneEvents);
        doneEvents = 0;
        onCommitted.accept(committed);
    }

    /** Sends every pending event not done yet, splitting on 413 and 400. */
    private void deliver() throws RetryLater, InterruptedException {
        List<Pending> todo = new ArrayList<>(pending.size());
        for (Pending p : pending) {
            if (!p.done) {
                todo.add(p);
            }
        }
        acceptedAny = false;
        refused.clear();
        if (todo.isEmpty()) {
            return;
        }
        send(todo, 0, todo.size());
        if (refused.isEmpty()) {
            return;
        }
        if (!acceptedAny) {
            throw new RetryLater("PostHog refused each of " + refused.size() + " events sent alone and accepted none ("
                    + refused.get(0).refusal + "); taken as a fault of the request or the endpoint, not of the events",
                    Duration.ZERO, null);
        }
        for (Pending p : refused) {
            p.done = true;
            stats.rejected.incrementAndGet();
            log.warn("PostHog rejected event {} ({}) alone: {}; it is skipped", p.id, p.event, p.refusal);
        }
    }

    private void send(List<Pending> todo, int from, int to) throws RetryLater, InterruptedException {
        List<byte[]> bodies = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            bodies.add(todo.get(i).json);
        }
        BatchApi.Response r;
        try {
            r = api.post(bodies);
        } catch (IOException e) {
            throw new RetryLater(describe(e), Duration.ZERO, e);
        } finally {
            stats.requests.incrementAndGet();
        }
        if (r.accepted()) {
            for (int i = from; i < to; i++) {
                todo.get(i).done = true;
            }
            acceptedAny = true;
            stats.sink.batches.incrementAndGet();
            stats.sink.rows.addAndGet(to - from);
            return;
        }
        if (r.status() == 413 || r.status() == 400) {
            if (to - from > 1) {
                stats.splits.incrementAndGet();
                int mid = from + (to - from) / 2;
                send(todo, from, mid);
                send(todo, mid, to);
            } else {
                Pending p = todo.get(from);
                p.refusal = r.status() + " " + r.body();
                refused.add(p);
            }
            return;
        }
        throw new RetryLater("PostHog answered " + r.status() + " " + r.body(), r.retryAfter(), null);
    }

    private String describe(IOException e) {
        if (e instanceof HttpTimeoutException) {
            return "no answer from " + api.endpoint() + " within " + settings.timeout() + " (" + e.getMessage() + ")";
        }
        if (e instanceof ConnectException) {
            return "cannot connect to " + api.endpoint() + ": " + e;
        }
        return "request to " + api.endpoint() + " failed: " + e;
    }

    private void failed(String message, Throwable cause) {
        stats.sink.failures.incrementAndGet();
        if (stats.sink.up) {
            stats.sink.downSinceMillis = System.currentTimeMillis();
            log.warn("posthog sink failing, will retry: {}", message);
        } else {
            log.debug("posthog sink still failing: {}", message, cause);
        }
        stats.sink.up = false;
        stats.sink.lastError = message;
    }

    private long jitter(long millis) {
        // Several edges that lost PostHog together should not come back in step.
        return millis - ThreadLocalRandom.current().nextLong(millis / 5 + 1);
    }

    /** Waits, ignoring the appender's wake-ups, until the time is up or the sink stops. */
    private void sleep(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (running) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            LockSupport.parkNanos(left);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }

    private void reopenReader() {
        long at = reader.position();
        closeReader();
        reader = new JournalReader(journalDir, at, journalLimit);
    }

    private void closeReader() {
        if (reader != null) {
            try {
                reader.close();
            } catch (IOException e) {
                log.debug("closing the journal reader", e);
            }
        }
    }
}
