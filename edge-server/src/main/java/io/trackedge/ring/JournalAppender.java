package io.trackedge.ring;

import com.lmax.disruptor.EventHandler;
import io.trackedge.config.AckMode;
import io.trackedge.journal.JournalWriter;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one consumer of the ring. Stages each event into the journal and, at the end of each ring
 * batch, writes the batch with one {@code write} (and one {@code fsync} under {@link AckMode#FSYNC})
 * before telling the event loops that their responses may go: group commit, sized by load.
 *
 * <p>Every handled sequence is either written or recorded as not written ({@link #written}):
 * an event over the journal's cap is shed and counted by the writer, and a batch the disk refuses
 * is dropped whole, counted, and makes the journal unhealthy ({@link JournalHealth}). Responses
 * are released either way, because a pixel must render whatever the disk does; a response that
 * acknowledges (ingest) asks {@link #written} first and answers 503 when its events were not.
 *
 * <p>A stop that ran out of time {@link #halt halts} it: from then on it writes nothing, and every
 * event it is still handed is recorded as not written, as after a failed write.
 */
public final class JournalAppender implements EventHandler<RingEvent> {

    private static final Logger log = LoggerFactory.getLogger(JournalAppender.class);

    private final JournalWriter writer;
    private final boolean fsync;
    private final AckListeners listeners = new AckListeners();
    /** Numbers of the listeners named by the batch being handled; one per event loop at most. */
    private int[] touched = new int[16];
    private int touchedCount;
    private final AtomicLong handledSequence = new AtomicLong(-1);
    private final UnwrittenRanges unwritten = new UnwrittenRanges();
    private final JournalHealth health;
    private final CountDownLatch started = new CountDownLatch(1);
    private final WriterGate gate;
    /** First sequence of the batch being handled, or -1 between batches. */
    private long batchFirst = -1;
    /** The disk refused part of the batch being handled: the rest is not staged. */
    private UncheckedIOException batchFailure;
    /** The batch being handled met a {@link #halt}: the rest of it is not staged, and none of it is written. */
    private boolean batchHalted;
    /** Events of the batch being handled that are staged (or written by a full staging buffer). */
    private long staged;
    private long skipped;
    private boolean housekeepingFailing;

    private final Runnable afterWrite;

    /**
     * @param afterWrite called on the thread that wrote each batch (the appender thread, or under
     *     {@code inline} an event loop) after it is written (wakes the sinks); must be cheap, must not
     *     block and must not throw
     */
    public JournalAppender(JournalWriter writer, AckMode mode, Runnable afterWrite) {
        this(writer, mode, afterWrite, new WriterGate());
    }

    /** With the gate a test holds, as a write stuck on the disk would. */
    JournalAppender(JournalWriter writer, AckMode mode, Runnable afterWrite, WriterGate gate) {
        this.writer = writer;
        this.gate = gate;
        this.fsync = mode == AckMode.FSYNC;
        if (fsync) {
            // A batch whose fsync fails is answered 503; the sinks must not deliver it regardless.
            writer.holdReadersUntilForced();
        }
        this.afterWrite = afterWrite;
        this.health = new JournalHealth(writer.directory());
    }

    @Override
    public void onEvent(RingEvent event, long sequence, boolean endOfBatch) {
        if (batchFirst < 0) {
            batchFirst = sequence;
        }
        if (batchFailure == null && !batchHalted) {
            if (gate.enter()) {
                try {
                    if (writer.tryAppend(event)) {
                        staged++;
                    } else {
                        unwritten.add(sequence, sequence); // over the cap: shed, counted by the writer
                    }
                } catch (UncheckedIOException e) {
                    // A full staging buffer was written mid-batch and the disk refused it.
                    batchFailure = e;
                    skipped++;
                } finally {
                    gate.exit();
                }
            } else {
                batchHalted = true;
                skipped++;
            }
        } else {
            skipped++;
        }
        int l = event.listener();
        if (l != AckListeners.NONE) {
            remember(l);
            event.listener(AckListeners.NONE);
        }
        if (endOfBatch) {
            endBatch(sequence);
        }
    }

    private void remember(int l) {
        for (int i = 0; i < touchedCount; i++) {
            if (touched[i] == l) {
                return;
            }
        }
        if (touchedCount == touched.length) {
            touched = Arrays.copyOf(touched, touched.length * 2);
        }
        touched[touchedCount++] = l;
    }

    private void endBatch(long sequence) {
        try {
            if (batchFailure == null && !batchHalted) {
                if (gate.enter()) {
                    try {
                        writer.flush();
                        if (fsync) {
                            writer.force();
                        }
                    } catch (UncheckedIOException e) {
                        batchFailure = e;
                    } finally {
                        gate.exit();
                    }
                } else {
                    batchHalted = true;
                }
            }
            if (batchHalted) {
                // The halt dropped what this batch had staged (or, had it given up waiting, the journal is never
                // closed and nothing staged reaches it); the stop's log says why.
                unwritten.add(batchFirst, sequence);
                log.error("journal appender halted or released by the stop: {} events of ring sequences {} to {} are not "
                        + "written, and their ingest requests get 503", staged + skipped, batchFirst, sequence);
            } else if (batchFailure == null) {
                health.wrote();
            } else {
                // The disk refused the batch: none of it counts as written (part of it may be, if a
                // full staging buffer went out before the failure and the writer could not cut it; a
                // client retry with the same ids is counted once). Under ack=fsync the writer cuts all
                // of it, forced or not. Readiness fails until a write or the probe succeeds.
                long lost = discardStaged() + skipped;
                unwritten.add(batchFirst, sequence);
                health.failed(batchFailure, lost);
                log.error("journal write failed; {} events of this batch are lost, and their ingest requests get 503",
                        lost, batchFailure);
            }
        } finally {
            batchFailure = null;
            batchHalted = false;
            staged = 0;
            skipped = 0;
            batchFirst = -1;
            handledSequence.set(sequence);
            flushAndNotify(sequence);
            afterWrite.run();
        }
    }

    /** {@link JournalWriter#discardStaged}, unless a {@link #halt} took the writer (and dropped them itself). */
    private long discardStaged() {
        if (!gate.enter()) {
            return staged;
        }
        try {
            return writer.discardStaged();
        } finally {
            gate.exit();
        }
    }

    /**
     * Takes the journal writer from this appender, for a stop whose drain ran past its budget: no
     * event is written from now on (each is recorded as not written and its listener told, as after
     * a failed write), and what the batch in progress staged is dropped, so that the journal's close
     * does not write events answered as not stored. Waits up to {@code timeout} for the write in
     * progress to return. Any thread.
     *
     * @return true when the appender has let go of the writer, which the caller may then close;
     *     false when a write was still running at the timeout: the writer is not the caller's to touch
     */
    boolean halt(long timeout, TimeUnit unit) throws InterruptedException {
        return gate.shut(timeout, unit, writer::discardStaged);
    }

    /**
     * Lets go of the journal writer once a stop has drained the ring, so that the stop may close the
     * journal: an event handed over after this (by an event loop's turn that began before the stop,
     * under {@code inline}) is recorded as not written, as after a {@link #halt}. Waits up to
     * {@code timeout} for a write in progress. Any thread.
     *
     * @return true when the appender has let go of the writer; false when a write was still running
     *     at the timeout: the writer is not the caller's to touch
     */
    boolean release(long timeout, TimeUnit unit) throws InterruptedException {
        // Nothing is staged after a drain, unless a late batch staged part of itself before the gate
        // shut: that batch is recorded as not written (answered 503), so its bytes must not reach the
        // journal's close, which flushes what is staged.
        return gate.shut(timeout, unit, writer::discardStaged);
    }

    /**
     * True when the event at {@code sequence} is in the journal file. Only meaningful once the
     * appender has reported the sequence handled (to an {@link AckListener}, or
     * {@link #handledSequence}). Any thread.
     */
    public boolean written(long sequence) {
        return unwritten.written(sequence, sequence);
    }

    /** {@link #written(long)} for every sequence of {@code [first, last]}. */
    public boolean written(long first, long last) {
        return unwritten.written(first, last);
    }

    /** {@link JournalWriter#hasRoomFor(int, long)}: any thread. */
    public boolean hasRoomFor(int records, long variableBytes) {
        return writer.hasRoomFor(records, variableBytes);
    }

    /** False after a write failure, until a batch is written again or the disk probe succeeds. */
    public boolean healthy() {
        return health.healthy();
    }

    public JournalHealth health() {
        return health;
    }

    public long writeFailures() {
        return health.writeFailures();
    }

    public long lostToWriteFailures() {
        return health.lostToWriteFailures();
    }

    private void flushAndNotify(long sequence) {
        int n = touchedCount;
        touchedCount = 0;
        for (int i = 0; i < n; i++) {
            try {
                listeners.get(touched[i]).onJournaled(sequence);
            } catch (RuntimeException e) {
                // A failing listener is a bug in one event loop's gate; thrown on, it would stop the
                // appender, which every loop's events go through. Its responses stay held; the others go.
                log.error("acknowledgement listener {} failed at ring sequence {}", touched[i], sequence, e);
            }
        }
    }

    /** True under {@link AckMode#FSYNC}: each batch is forced to the device, which no event loop may wait for. */
    boolean fsyncs() {
        return fsync;
    }

    /** Bytes of the batch being handled that are staged and not yet written. */
    long stagedBytes() {
        // Read outside the gate (a late turn racing a stop): stale, it only moves a batch's end; each write re-checks the gate.
        return writer.stagedBytes();
    }

    /** See {@link JournalWriter#housekeepingDue}. */
    boolean housekeepingDue(long bytesAhead) {
        // Read outside the gate (a late turn racing a stop): stale, it only hands a turn over or not; each write re-checks the gate.
        return writer.housekeepingDue(bytesAhead);
    }

    /**
     * Rolls segments, and hands released ones over for deletion, ahead of the batches
     * ({@link JournalWriter#housekeep}). Between batches only. A failure loses nothing: the next
     * batch's write does the same work and reports a failure as its own.
     */
    void housekeep(long bytesAhead) {
        if (!gate.enter()) {
            return;
        }
        try {
            writer.housekeep(bytesAhead);
            housekeepingFailing = false;
        } catch (UncheckedIOException e) {
            if (!housekeepingFailing) { // it is tried again every tick: say so once per streak
                log.warn("journal housekeeping failed; the next write tries again", e);
            }
            housekeepingFailing = true;
        } finally {
            gate.exit();
        }
    }

    /** The listeners a slot may name ({@link RingEvent#listener(int)}), told when their events are handled. */
    public AckListeners listeners() {
        return listeners;
    }

    /** Highest ring sequence whose batch has been handled (see {@link #written}). */
    public long handledSequence() {
        return handledSequence.get();
    }

    @Override
    public void onStart() {
        try {
            health.start();
        } finally {
            started.countDown();
        }
    }

    /**
     * Waits until the thread that runs this appender has started. Disruptor's shutdown waits only for
     * running consumers: one whose thread had not started yet was halted with events still unwritten.
     */
    boolean awaitStarted(long timeout, TimeUnit unit) throws InterruptedException {
        return started.await(timeout, unit);
    }

    @Override
    public void onShutdown() {
        health.close();
    }
}
