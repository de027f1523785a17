package io.trackedge.ring;

import com.lmax.disruptor.EventHandler;
import io.trackedge.config.AckMode;
import io.trackedge.journal.JournalWriter;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one consumer of the ring. Stages each event into the journal and, at the end of each ring
 * batch, writes the batch with one {@code write} (and one {@code fsync} under {@link AckMode#FSYNC})
 * before telling the event loops that their responses may go: group commit, sized by load.
 *
 * <p>An event that does not fit under the journal's cap is shed and counted by the writer; its
 * response is still released, because a pixel must render whatever the disk does.
 */
public final class JournalAppender implements EventHandler<RingEvent> {

    private static final Logger log = LoggerFactory.getLogger(JournalAppender.class);

    private final JournalWriter writer;
    private final boolean fsync;
    // One listener per event loop, and event loops are capped at 256 by configuration.
    private final AckListener[] touched = new AckListener[256];
    private int touchedCount;
    private final AtomicLong handledSequence = new AtomicLong(-1);
    private final AtomicLong writeFailures = new AtomicLong();
    private final AtomicLong lostToWriteFailures = new AtomicLong();
    private volatile boolean healthy = true;

    private final Runnable afterWrite;

    /**
     * @param afterWrite called on the appender thread after each batch is written (wakes the sinks);
     *     must be cheap and must not block
     */
    public JournalAppender(JournalWriter writer, AckMode mode, Runnable afterWrite) {
        this.writer = writer;
        this.fsync = mode == AckMode.FSYNC;
        this.afterWrite = afterWrite;
    }

    @Override
    public void onEvent(RingEvent event, long sequence, boolean endOfBatch) {
        writer.tryAppend(event);
        AckListener l = event.listener();
        if (l != null) {
            remember(l);
            event.listener(null);
        }
        if (endOfBatch) {
            endBatch(sequence);
        }
    }

    private void remember(AckListener l) {
        for (int i = 0; i < touchedCount; i++) {
            if (touched[i] == l) {
                return;
            }
        }
        touched[touchedCount++] = l;
    }

    private void endBatch(long sequence) {
        try {
            writer.flush();
            if (fsync) {
                writer.force();
            }
            healthy = true;
        } catch (UncheckedIOException e) {
            // The disk refused the batch. Its events are lost: count them, report not-ready so the
            // load balancer drains this node, and keep answering (the responses are not held back
            // forever, and the next batch tries the disk again).
            long lost = writer.discardStaged();
            writeFailures.incrementAndGet();
            lostToWriteFailures.addAndGet(lost);
            healthy = false;
            log.error("journal write failed; {} events of this batch are lost", lost, e);
        } finally {
            handledSequence.set(sequence);
            flushAndNotify(sequence);
            afterWrite.run();
        }
    }

    /** False after a write failure, until a batch is written again. */
    public boolean healthy() {
        return healthy;
    }

    public long writeFailures() {
        return writeFailures.get();
    }

    public long lostToWriteFailures() {
        return lostToWriteFailures.get();
    }

    private void flushAndNotify(long sequence) {
        for (int i = 0; i < touchedCount; i++) {
            touched[i].onJournaled(sequence);
            touched[i] = null;
        }
        touchedCount = 0;
    }

    /** Highest ring sequence whose batch has been written. */
    public long handledSequence() {
        return handledSequence.get();
    }
}
