package io.trackedge.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.trackedge.metrics.CloseReason;
import io.trackedge.metrics.Route;

/**
 * Writes one connection's responses in request order: at once when nothing is held, otherwise
 * through the loop's {@link AckGate}, which releases a response once its event is journaled (under
 * {@code journal} and {@code fsync} acknowledgements) and keeps later ones queued behind it.
 * Writes are flushed once per read batch ({@link #flushNow}); a closing response is flushed and
 * then closes the connection, lingering first when the request's body is left unread.
 *
 * <p>One instance per connection, used on its event loop only.
 */
final class ConnectionResponses {

    /**
     * Answers held for one connection past which it reads no more requests until half of them are out:
     * while the journal does not answer (a stalled disk), nothing is written, so the socket never says it
     * is full, and a client pipelining requests would otherwise have them all held in memory.
     */
    static final int MAX_HELD = 256;

    private final EdgeContext edge;
    private final ChannelHandlerContext ctx;
    private final AckGate gate;
    private int held;
    private boolean needsFlush;
    private boolean closing;
    /** The closing response leaves a request body unread: close with {@link LingeringClose}. */
    private boolean lingerOnClose;
    /** Why this connection closes once {@link #closing}; counted in {@code edge_http_closes_total}. */
    private CloseReason closeReason;
    /** Run once, when the last held response is written ({@link #whenNoneHeld}). */
    private Runnable whenNoneHeld;
    /** Run when held answers fall back to half of {@link #MAX_HELD}: the connection may read again. */
    private final Runnable roomAgain;

    /** @param roomAgain asked to resume reading once fewer answers are held ({@link #full}) */
    ConnectionResponses(EdgeContext edge, ChannelHandlerContext ctx, AckGate gate, Runnable roomAgain) {
        this.edge = edge;
        this.ctx = ctx;
        this.gate = gate;
        this.roomAgain = roomAgain;
    }

    /** As many answers are held as the connection may have: read no more requests for now. */
    boolean full() {
        return held >= MAX_HELD;
    }

    /** True once a closing answer was decided: no later request on this connection is answered. */
    boolean closing() {
        return closing;
    }

    /** Responses handed to the gate and not yet released. */
    int held() {
        return held;
    }

    /** Why the connection closes, or null when no closing answer was decided yet. */
    CloseReason closeReason() {
        return closeReason;
    }

    /** A prebuilt response, counted under {@code route}. */
    void send(Route route, Responses.Kind kind, Responses.Conn conn, boolean head, long sequence) {
        edge.metrics.request(route, kind.status());
        deliver(edge.responses.get(kind, conn, head), conn == Responses.Conn.CLOSE, sequence);
    }

    /** {@link #deliver} for a response whose sequence was published by an ingest worker, not this loop. */
    void deliverPublished(Object response, boolean close, long sequence) {
        if (sequence >= 0) {
            if (close) {
                markClosing();
            }
            holdOne();
            gate.holdPublishedElsewhere(this, response, sequence, close);
        } else {
            deliver((ByteBuf) response, close, -1);
        }
    }

    /** Writes now, or hands the response to the gate when it must wait for the journal or for an earlier one. */
    void deliver(ByteBuf response, boolean close, long sequence) {
        if (close) {
            markClosing();
        }
        if (sequence >= 0) {
            holdOne();
            gate.hold(this, response, sequence, close);
        } else if (held > 0) {
            holdOne();
            gate.holdBehind(this, response, close);
        } else {
            write(response, close);
        }
    }

    private void holdOne() {
        if (++held == MAX_HELD) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    /** Called by the gate, on this connection's loop, when a held response may go. */
    void release(Object response, boolean close) {
        if (held-- == MAX_HELD / 2 + 1) {
            roomAgain.run();
        }
        write(response, close);
        if (held == 0 && whenNoneHeld != null) {
            Runnable r = whenNoneHeld;
            whenNoneHeld = null;
            r.run();
        }
    }

    /** Runs {@code r} once no response is held any more (at the last release). */
    void whenNoneHeld(Runnable r) {
        whenNoneHeld = r;
    }

    /** No later request on this connection is answered: this one's answer comes from another thread, then it closes. */
    void answerLastFromElsewhere() {
        closing = true;
    }

    /** Answers and closes a connection whose request body is (perhaps) still arriving. */
    void deliverLingering(ByteBuf response) {
        closeLingering(CloseReason.INGEST_BODY_UNREAD);
        deliver(response, true, -1);
    }

    /**
     * The next closing response leaves what the client sent unread: a plain close would reset the
     * connection and could destroy the answer before the client reads it.
     */
    void closeLingering(CloseReason reason) {
        lingerOnClose = true;
        closeBecause(reason);
    }

    void flushNow() {
        if (needsFlush) {
            needsFlush = false;
            ctx.flush();
        }
    }

    /**
     * A request's body (or a later request) is still coming as a closing answer goes, as for a 405 to a
     * {@code POST /o/} whose body the head's answer did not wait for: a plain close would reset the
     * connection with those bytes unread, and could destroy the answer before the client reads it.
     */
    private boolean requestStillArriving() {
        TimedRequestDecoder decoder = ctx.pipeline().get(TimedRequestDecoder.class);
        return decoder != null && decoder.arriving();
    }

    private void closeBecause(CloseReason reason) {
        if (closeReason == null) {
            closeReason = reason;
        }
    }

    private void markClosing() {
        closing = true;
        closeBecause(edge.isDraining() ? CloseReason.DRAINING : CloseReason.CLIENT_ASKED);
    }

    private void write(Object response, boolean close) {
        if (close) {
            edge.metrics.connectionClosed(closeReason == null ? CloseReason.CLIENT_ASKED : closeReason);
        }
        if (close && (lingerOnClose || requestStillArriving())) {
            ctx.writeAndFlush(response).addListener(f -> LingeringClose.start(ctx.channel()));
        } else if (close) {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.write(response, ctx.voidPromise());
            needsFlush = true;
        }
    }
}
