package io.trackedge.sink;

import io.trackedge.journal.JournalReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

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
 * after each write. {@link #stats} and {@link #health} are read from any thread; what each turn
 * means for them, and the backoff's step, is kept by {@link SinkAccounting}.
 */
public final class SinkLoop implements Runnable {

    private final Sink sink;
    private final Path journalDir;
    private final LongSupplier journalLimit;
    private final SinkLoopSettings settings;
    private final SinkStats stats;
    private final SinkHealth health;
    private final SinkThread worker = new SinkThread();
    private final InFlightBatches inFlight;
    private final SinkAccounting accounts;
    private final BadEventFinder badEvents;
    private final BatchSubmitter submitter;
    private volatile boolean running = true;
    private volatile boolean drain;

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
        this.health = new SinkHealth(settings.stallAfter(), System::currentTimeMillis,
                () -> journalLimit.getAsLong() > stats.committedPosition.get());
        this.inFlight = new InFlightBatches(sink, this::committed);
        this.accounts = new SinkAccounting(sink, journalDir, journalLimit, settings, stats, health, onCommitted,
                inFlight::oldestReceivedAtMicros);
        // Its halves of a batch count as commits, but not as a whole batch written: the finder keeps its own counts.
        this.badEvents = new BadEventFinder(sink, journalDir, journalLimit, settings.maxConsecutiveBad(), accounts);
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
                    accounts.opened(cursor);
                    try (JournalReader reader = new JournalReader(journalDir, cursor, journalLimit)) {
                        reader.onDamage(accounts::damaged);
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
                sleep(accounts.failed(failure));
            }
        } finally {
            inFlight.awaitQuietly();
            accounts.stopped();
            sink.close();
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
            if (!in.isEmpty()) {
                accounts.reading(in);
            }
            if (in.isEmpty()) {
                if (n == 0) {
                    inFlight.awaitAll();
                    accounts.caughtUp();
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

    /** A whole batch written (not a half the finder narrows): it also ends the finder's run of bad events. */
    private void committed(Batch b, Integer rows) {
        accounts.committed(b, rows);
        badEvents.accepted();
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
