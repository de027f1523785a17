package io.trackedge.http;

import io.netty.channel.Channel;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * When one connection reads, and what it decoded while it could not handle it. While the connection
 * is busy (an ingest request is processed, or a stats query runs) the messages the decoder still
 * delivers wait here, in order, and the handler takes them back after the answer
 * ({@link #nextWaiting}). Reading resumes only while nothing holds it off ({@link #mayRead}).
 *
 * <p>One per connection, used on its event loop only. Plain fields: nothing here allocates per
 * request, and the queue is made the first time a message has to wait.
 */
final class ConnectionReading {

    private final TrackingHandler handler;
    private final Channel channel;
    private final EdgeContext edge;
    private final ConnectionResponses responses;
    /** A stats query is running: nothing more is read or handled until its answer. */
    private boolean statsRunning;
    /** Messages decoded while busy; handled, in order, after the answer. */
    private ArrayDeque<Object> deferred;

    /** @param handler asked whether its ingest request is being processed, which keeps the connection busy */
    ConnectionReading(TrackingHandler handler, Channel channel, EdgeContext edge, ConnectionResponses responses) {
        this.handler = handler;
        this.channel = channel;
        this.edge = edge;
        this.responses = responses;
    }

    /** An ingest request being processed, or a stats query running: what is decoded meanwhile waits for its answer. */
    boolean busy() {
        return statsRunning || handler.ingestProcessing();
    }

    /** Keeps {@code msg} for after the answer when the connection is busy; false when it is to be handled now. */
    boolean deferIfBusy(Object msg) {
        if (!busy()) {
            return false;
        }
        // Decoded before reading paused; answered after the ingest request, in order.
        if (deferred == null) {
            deferred = new ArrayDeque<>();
        }
        deferred.add(msg);
        return true;
    }

    /** The next message that waited, or null when none is left or the connection is busy again. */
    Object nextWaiting() {
        return anyWaiting() && !busy() ? deferred.poll() : null;
    }

    boolean anyWaiting() {
        return deferred != null && !deferred.isEmpty();
    }

    /** A stats query begins: reading pauses until {@link #statsAnswered}. */
    void statsBegun() {
        statsRunning = true;
        channel.config().setAutoRead(false);
    }

    void statsAnswered() {
        statsRunning = false;
    }

    /** Turns reading back on, unless something holds it off ({@link #mayRead}). */
    void resume() {
        if (mayRead()) {
            channel.config().setAutoRead(true);
        }
    }

    /**
     * Reading pauses while the connection takes no more answers (a client that pipelines requests
     * and reads nothing would otherwise make the edge queue answers without bound), and resumes
     * when the queue has drained; likewise while {@link ConnectionResponses#MAX_HELD} answers wait for the journal.
     */
    void writabilityChanged() {
        if (!channel.isWritable()) {
            channel.config().setAutoRead(false);
        } else {
            resume();
        }
    }

    private boolean mayRead() {
        return !responses.closing() && !edge.readingStopped() && !busy() && !responses.full() && channel.isWritable();
    }

    /** The connection is gone: what waited is released unanswered. */
    void releaseWaiting() {
        if (deferred != null) {
            deferred.forEach(ReferenceCountUtil::release);
            deferred.clear();
        }
    }
}
