package io.trackedge.http;

import io.netty.channel.EventLoop;
import io.trackedge.ring.AckListener;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Holds back the responses of one event loop until their events are journaled, then releases them
 * in the order they were queued (which keeps pipelined responses in request order).
 *
 * <p>{@link #onJournaled} runs on the thread that wrote the batch (the appender thread, or an event
 * loop, this one or another, under the {@code inline} wait strategy) and only records a sequence and
 * schedules at most one drain task; everything else runs on the event loop, so the queue needs no lock. The
 * queue is a growable ring of parallel arrays: queuing a response allocates nothing.
 *
 * <p>A response that acknowledges events ({@link Acknowledgement}) is resolved at its release:
 * released means handled, not written, so the gate asks the appender whether its events were
 * written, and the response says 202 only if they were.
 */
final class AckGate implements AckListener, Runnable {

    private final EventLoop loop;
    private final Acknowledgement.Journal journal;
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private volatile long journaled = -1;

    private ConnectionResponses[] owners = new ConnectionResponses[1024];
    private Object[] messages = new Object[1024];
    private long[] sequences = new long[1024];
    private boolean[] closes = new boolean[1024];
    private int head;
    private int size;
    private long lastSequence = -1;

    /** @param journal whether handled ring sequences were written ({@code JournalAppender#written}) */
    AckGate(EventLoop loop, Acknowledgement.Journal journal) {
        this.loop = loop;
        this.journal = journal;
    }

    /** Queues {@code message} until ring sequence {@code sequence} is journaled. Event loop only. */
    void hold(ConnectionResponses owner, Object message, long sequence, boolean close) {
        if (size == owners.length) {
            grow();
        }
        int i = (head + size) & (owners.length - 1);
        owners[i] = owner;
        messages[i] = message;
        sequences[i] = sequence;
        closes[i] = close;
        size++;
        if (sequence > lastSequence) {
            lastSequence = sequence;
        }
    }

    /**
     * Queues a response that needs no journaling but must not overtake responses already held for
     * the same connection. Only called while the queue is non-empty, so a later notification is due.
     */
    void holdBehind(ConnectionResponses owner, Object message, boolean close) {
        hold(owner, message, lastSequence, close);
    }

    /**
     * {@link #hold} for a sequence published by another thread (an ingest worker): the appender
     * may have reported it journaled before the response got here, with no later report due, so
     * the release is scheduled now in that case.
     */
    void holdPublishedElsewhere(ConnectionResponses owner, Object message, long sequence, boolean close) {
        hold(owner, message, sequence, close);
        if (sequence <= journaled && !scheduled.get() && scheduled.compareAndSet(false, true)) {
            loop.execute(this);
        }
    }

    @Override
    public void onJournaled(long sequence) {
        journaled = sequence;
        if (!scheduled.get() && scheduled.compareAndSet(false, true)) {
            loop.execute(this);
        }
    }

    /** Releases every response whose event is journaled. */
    @Override
    public void run() {
        scheduled.set(false);
        long done = journaled;
        ConnectionResponses previous = null;
        int mask = owners.length - 1;
        while (size > 0 && sequences[head] <= done) {
            ConnectionResponses owner = owners[head];
            Object message = messages[head];
            if (message instanceof Acknowledgement a) {
                message = a.resolve(journal);
            }
            boolean close = closes[head];
            owners[head] = null;
            messages[head] = null;
            head = (head + 1) & mask;
            size--;
            if (previous != null && previous != owner) {
                previous.flushNow();
            }
            owner.release(message, close);
            previous = owner;
        }
        if (previous != null) {
            previous.flushNow();
        }
    }

    int held() {
        return size;
    }

    private void grow() {
        int n = owners.length;
        ConnectionResponses[] o = new ConnectionResponses[n * 2];
        Object[] m = new Object[n * 2];
        long[] s = new long[n * 2];
        boolean[] c = new boolean[n * 2];
        for (int k = 0; k < size; k++) {
            int from = (head + k) & (n - 1);
            o[k] = owners[from];
            m[k] = messages[from];
            s[k] = sequences[from];
            c[k] = closes[from];
        }
        owners = o;
        messages = m;
        sequences = s;
        closes = c;
        head = 0;
    }
}
