package io.trackedge.sink;

import io.trackedge.journal.JournalReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one loop every journal consumer runs on, like Disruptor's {@code BatchEventProcessor}: it
 * reads from the sink's committed cursor, gathers batches (up to a size, or a linger time), hands
 * them to the {@link Sink}, and on failure waits with capped exponential backoff and jitter, then
 * reads again from the committed cursor. A failure the sink classifies as {@link FailureKind#DATA}
 * is narrowed down by bisecting the batch until the events at fault are found; those are set
 * aside ({@link Sink#setAside}) and the rest written, so one bad event never stalls the pipeline.
 * Events the sink refuses by a rule of its own ({@link Sink#refusal}) are set aside before their
 * batch is written, however many come in a row.
 *
 * <p>Runs on its own thread ({@link #start}); {@link #wakeUp} is called by the journal appender
 * after each write. {@link #stats} and {@link #health} are read from any thread.
 */
public final class SinkLoop implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(SinkLoop.class);


    private final Sink sink;
    private final Path journalDir;
    private final LongSupplier journalLimit;
    private final LongConsumer onCommitted;
    private final SinkLoopSettings settings;
    private final SinkStats stats;
    private final SinkHealth health;
    private final Backoff backoff;
    private final SinkThread worker = new SinkThread();
    private final InFlightBatches inFlight;
    private final BadEventFinder badEvents;
    private final BatchSubmitter submitter;
    private volatile boolean running = true;
    private volatile boolean drain;
    private long lastOpenedAt = -1;
    /** The journal position past the last damage counted: a retry that reads past it again counts nothing. */
    private long damageCountedTo = -1;

    /**
     * @param journalLimit the writer's flushed position (the reader never reads past it)
     * @param onCommitted told each committed position, e.g. to let the journal delete segments
     */
    public SinkLoop(Sink sink, Path journalDir, LongSupplier journalLimit, SinkLoopSettings settings, SinkStats stats,
                    LongConsumer onCommitted) {
        this.sink = Objects.requireNonNull(sink, "sink");
        this.journalDir = journalDir;
        this.journalLimit = journalLimit;
        this.settings = settings;
        this.stats = stats;
        this.onCommitted = onCommitted;
        this.backoff = new Backoff(settings.firstBackoff(), settings.maxBackoff());
        this.health = new SinkHealth(settings.stallAfter(), System::currentTimeMillis,
                () -> journalLimit.getAsLong() > stats.committedPosition.get());
        this.inFlight = new InFlightBatches(sink, this::committed);
        this.badEvents = new BadEventFinder(sink, journalDir, journalLimit, settings.maxConsecutiveBad(), new BadEventFinder.Progress() {
            @Override
            public void committed(Batch batch, Integer rows) {
                progressed(batch, rows); // a half: the finder keeps its own counts
            }

            @Override
            public void setAside(BadRecord bad) {
                SinkLoop.this.setAside(bad);
            }
        });
        this.submitter = new BatchSubmitter(sink, inFlight, badEvents);
    }

    public String name() {
        return sink.name();
    }

    /** The settings the loop was built with. */
    public SinkLoopSettings settings() {
        return settings;
    }

    public SinkStats stats() {
        return stats;
    }

    public SinkHealth health() {
        return health;
    }

    public Thread start() {
        return worker.start(this, "sink-" + sink.name());
    }

    /** New events are in the journal. Cheap; callable from any thread. */
    public void wakeUp() {
        worker.wakeUp();
    }

    /** Asks the loop to write what the journal holds now and then end; {@link #awaitStop} waits for it. */
    public void drain() {
        drain = true;
        Thread t = worker.thread();
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /**
     * Waits until the loop has drained or {@code deadlineNanos} (a {@link System#nanoTime} value)
     * passes; then stops it, interrupting a write that blocks. Never waits past the deadline by
     * more than a short moment: what is not committed stays in the journal for the next start.
     *
     * @return true when the sink caught up before stopping
     */
    public boolean awaitStop(long deadlineNanos) throws InterruptedException {
        drain();
        Thread t = worker.thread();
        if (t != null) {
            TimeUnit.NANOSECONDS.timedJoin(t, Math.max(1, deadlineNanos - System.nanoTime()));
            running = false;
            LockSupport.unpark(t);
            t.join(100);
            if (t.isAlive()) {
                t.interrupt();
                t.join(200);
            }
        }
        running = false;
        return stats.committedPosition.get() >= journalLimit.getAsLong();
    }

    /** {@link #drain} then {@link #awaitStop} within {@code timeout}. */
    public boolean stop(Duration timeout) throws InterruptedException {
        return awaitStop(System.nanoTime() + timeout.toNanos());
    }

    @Override
    public void run() {
        try {
            while (running) {
                Throwable failure;
                try {
                    long cursor = sink.open();
                    opened(cursor);
                    try (JournalReader reader = new JournalReader(journalDir, cursor, journalLimit)) {
                        reader.onDamage(this::damaged);
                        if (pump(new BatchReader(reader, settings.batchSize()))) {
                            return;
                        }
                    }
                    continue;
                } catch (InFlightBatches.BatchFailed f) {
                    inFlight.awaitQuietly();
                    failure = f.getCause();
                    // Not while stopping: what a stopping sink throws says nothing about the events.
                    if (running && Failures.kind(sink, failure) == FailureKind.DATA) {
                        try {
                            badEvents.narrow(f.batch, failure);
                            continue; // the cursor is past the batch now: read on from there at once
                        } catch (Exception | Error e) {
                            failure = e;
                        }
                    }
                } catch (Exception | Error e) {
                    // An Error too (OutOfMemoryError, a class gone after an upgrade): retried after a backoff;
                    // this thread is the sink's only one.
                    inFlight.awaitQuietly();
                    failure = e;
                }
                if (!running) {
                    return;
                }
                failed(failure);
                long wait = backoff.nextMillis();
                if (failure instanceof RetryLaterException r) {
                    wait = Math.max(wait, r.retryAfter().toMillis());
                }
                sleep(wait);
            }
        } finally {
            inFlight.awaitQuietly();
            health.stopped();
            sink.close();
        }
    }

    private void opened(long cursor) {
        stats.committedPosition.set(cursor);
        stats.oldestPendingMicros.set(0); // what a failure estimated: the first read sets the real one
        onCommitted.accept(cursor);
        if (stats.batches.get() == 0 && stats.backlogAtStart.get() == 0) {
            stats.backlogAtStart.set(stats.countBacklog(journalDir, cursor, journalLimit));
        }
        if (cursor != lastOpenedAt) {
            log.info("{} sink reading from journal position {}", sink.name(), cursor);
            lastOpenedAt = cursor;
        }
    }

    /** Writes batches until drained (returns true) or stopped (false). */
    private boolean pump(BatchReader in) throws Exception {
        long lingerNanos = settings.linger().toNanos();
        long idleNanos = settings.idleWait().toNanos();
        long firstAt = 0;
        StuckRead stuck = new StuckRead();
        while (running) {
            int n = in.isEmpty() || !in.full() ? in.fill() : 0;
            if (!in.isEmpty() && firstAt == 0) {
                firstAt = System.nanoTime();
            }
            inFlight.reapDone();
            // After the reaping, whose commits set it to the batches still in flight or to 0: the batch
            // being read, about to be written (a sink of one batch at a time, PostHog's, writes it here and
            // waits), is pending from now on.
            if (!in.isEmpty() && stats.oldestPendingMicros.get() == 0) {
                stats.oldestPendingMicros.set(in.firstReceivedAtMicros());
            }
            if (in.isEmpty()) {
                if (n == 0) {
                    inFlight.awaitAll();
                    stats.oldestPendingMicros.set(0);
                    health.caughtUp();
                    if (drain) {
                        return true;
                    }
                    long past = stuck.waitPast(in.position(), journalLimit.getAsLong());
                    worker.awaitEvents(idleNanos, past < 0 ? () -> journalLimit.getAsLong() > in.position()
                            : () -> journalLimit.getAsLong() > past);
                }
                continue;
            }
            long waited = System.nanoTime() - firstAt;
            if (!in.full() && n > 0) {
                continue; // more may be there already
            }
            if (!in.full() && waited < lingerNanos && !drain) {
                LockSupport.parkNanos(Math.min(lingerNanos - waited, TimeUnit.MILLISECONDS.toNanos(50)));
                continue;
            }
            submitter.submit(in.take(), in);
            firstAt = 0;
        }
        return false;
    }

    /** Counts a region the reader skipped as damage, unless a retry is reading past it again. */
    private void damaged(long from, long to) {
        if (to <= damageCountedTo) {
            return;
        }
        stats.journalDamagedRegions.incrementAndGet();
        stats.journalDamagedBytes.addAndGet(to - from);
        damageCountedTo = to;
    }

    private void committed(Batch b, Integer rows) {
        progressed(b, rows);
        badEvents.accepted();
    }

    private void progressed(Batch b, Integer rows) {
        stats.batches.incrementAndGet();
        stats.rows.addAndGet(rows == null ? b.size() : rows);
        stats.committedEvents.addAndGet(b.size());
        stats.committedPosition.set(b.end());
        // The next batch in flight is pending still: with none, the one being read sets its own (pump).
        stats.oldestPendingMicros.set(inFlight.oldestReceivedAtMicros());
        onCommitted.accept(b.end());
        // Events given up unsent keep a running sink running, but do not bring a failing one back: its
        // destination has still taken nothing.
        if (sink.delivered(b, rows) || health.state() == SinkHealth.State.RUNNING || health.state() == SinkHealth.State.STARTING) {
            backoff.reset();
            health.progressed();
        }
    }

    private void setAside(BadRecord bad) {
        stats.badEvents.incrementAndGet();
        stats.committedEvents.incrementAndGet();
        stats.committedPosition.set(bad.next());
        onCommitted.accept(bad.next());
        health.progressed(); // the cursor moved: a long run of set-asides is not a stall
    }

    private void failed(Throwable e) {
        stats.failures.incrementAndGet();
        pendingWhileFailing();
        String error = Failures.describe(e);
        boolean first = health.state() != SinkHealth.State.RETRYING && health.state() != SinkHealth.State.STALLED;
        health.failed(error);
        if (first) {
            log.warn("{} sink failing, will retry with backoff: {}", sink.name(), error);
        } else {
            log.debug("{} sink still failing: {}", sink.name(), error, e);
        }
    }

    /**
     * A sink that cannot open or write reads nothing, so nothing set its lag: it counts from the first
     * record past its committed position, or, before any open in this process, from the first record
     * appended since the start (the destination's cursor is unknown: a lower bound, and the stall
     * alert covers a backlog from before the start). It read 0 for a destination down from the start.
     */
    private void pendingWhileFailing() {
        if (stats.oldestPendingMicros.get() != 0) {
            return;
        }
        long from = lastOpenedAt >= 0 ? stats.committedPosition.get() : Math.max(0, stats.backlogEnd.get());
        if (lastOpenedAt < 0 && from <= 1) {
            from = 0; // set to 1 for a journal empty at the start: its first record is at 0
        }
        stats.pendingFrom(journalDir, from, journalLimit);
    }

    /** Waits out the backoff, ignoring the appender's wake-ups, until it is over or the loop stops. */
    private void sleep(long millis) {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        for (long left = until - System.nanoTime(); left > 0 && running; left = until - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
        Thread.interrupted(); // an interrupt meant "stop", which running already says
    }
}
