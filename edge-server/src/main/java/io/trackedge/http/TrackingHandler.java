package io.trackedge.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.trackedge.metrics.CloseReason;
import io.trackedge.metrics.Route;
import io.trackedge.stats.StatsResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the public tracking routes, one instance per connection:
 *
 * <ul>
 *   <li>{@code GET|HEAD /o/<token>.gif}: the GIF, always; an open event when the token verifies.</li>
 *   <li>{@code GET|HEAD /c/<token>[?u=<url>]}: 302 to the signed destination, or 400 when the token,
 *       the URL or the pair is not valid. Never a redirect anywhere else.</li>
 *   <li>{@code POST /v1/events}: the ingest API ({@link IngestExchange}).</li>
 *   <li>{@code GET /v1/stats*}: the stats API, when there is one ({@link StatsExchange}).</li>
 *   <li>Other methods on those paths: 405. Anything else: 404.</li>
 * </ul>
 *
 * Responses are written per request and flushed once per read batch. Under {@code journal} and
 * {@code fsync} acknowledgements, a response whose event went into the ring is held by the loop's
 * {@link AckGate} until the appender reports the event written; a later response on the same
 * connection queues behind it so pipelined answers keep their order.
 *
 * <p>This class keeps the connection's state (the request whose body is being read, timeouts, a
 * half-close, failures); when it reads and what waits behind a busy request is
 * {@link ConnectionReading}, {@link RequestRouter} routes each request, the pixel and click rules
 * are {@link PixelClickRoutes}, publishing is {@link RingPublisher}, and writing and ordering the
 * answers is {@link ConnectionResponses}.
 */
public final class TrackingHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(TrackingHandler.class);

    private final EdgeContext edge;
    private EdgeContext.LoopLocal local;
    private ChannelHandlerContext ctx;
    private RingPublisher publisher;
    private ConnectionResponses responses;
    private ConnectionReading reading;
    private RequestRouter router;
    /** The {@code POST /v1/events} being read or processed, or null. */
    private IngestExchange ingest;
    /** The {@code POST /u/<token>} whose body is being read, or null (issue 13). */
    private UnsubscribeExchange unsubscribe;
    /** Requests read after the closing answer was decided: they get none (the client was told to close). */
    private int ignoredAfterClose;
    /** The client shut its sending side: the connection closes once every answer owed is out. */
    private boolean inputShut;

    public TrackingHandler(EdgeContext edge) {
        this.edge = edge;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.local = edge.local(ctx.channel().eventLoop());
        this.publisher = new RingPublisher(edge, local);
        this.responses = new ConnectionResponses(edge, ctx, local.gate, () -> reading.resume());
        this.reading = new ConnectionReading(this, ctx.channel(), edge, responses);
        this.router = new RequestRouter(this, edge, ctx, responses, new PixelClickRoutes(edge, ctx, local, publisher, responses));
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        publisher.peer(ctx.channel().remoteAddress());
        super.channelActive(ctx);
    }

    /** This connection's responses, for the exchanges that answer on it. */
    ConnectionResponses responses() {
        return responses;
    }

    /** This connection's ring publisher, for the exchanges that record events. */
    RingPublisher publisher() {
        return publisher;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (reading.deferIfBusy(msg)) {
            return;
        }
        try {
            if (msg instanceof HttpRequest request) {
                unsubscribe = null; // a new request where a body was expected: the decoder moved on
                if (ingest != null) {
                    ingest.abandon(); // a new request where a body was expected: the decoder moved on
                    ingest = null;
                }
                if (!responses.closing()) {
                    router.route(request);
                } else {
                    ignoredAfterClose++;
                }
            } else if (unsubscribe != null && msg instanceof HttpContent content) {
                if (unsubscribe.content(content)) {
                    unsubscribe = null;
                }
            } else if (ingest != null && msg instanceof HttpContent content) {
                ingest.content(content);
                if (ingest != null && ingest.done()) {
                    ingest = null;
                }
            } else if (msg instanceof HttpContent content && content.decoderResult().isFailure() && !responses.closing()) {
                // The body of a request answered from its head broke (a bad chunk size): the decoder
                // has lost the framing and drops whatever follows, so no later request can be
                // answered. Close once the answers already given are out.
                edge.metrics.decoderFailure();
                responses.closeLingering(CloseReason.BAD_REQUEST);
                responses.deliver(Unpooled.EMPTY_BUFFER, true, -1);
            }
            // Bodies of other requests are read and dropped; the decoder keeps the framing.
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    /** The ingest request was answered (or its answer is held): read on, beginning with what waited. */
    void resumeAfterIngest() {
        ingest = null;
        readWhatWaited();
    }

    /** The ingest request's keys were reloaded and its head judged again: its body (if read) and what waited go on. */
    void resumeAfterKeyReload() {
        if (ingest != null && ingest.done()) {
            ingest = null;
        }
        readWhatWaited();
    }

    /** A stats query's answer, on this connection's loop: it goes behind the answers already owed, then reading resumes. */
    void statsAnswered(StatsResponse answer, Responses.Conn conn, boolean head) {
        reading.statsAnswered();
        if (!ctx.channel().isActive()) {
            return; // channelInactive released what waited
        }
        Responses.Conn c = edge.isDraining() ? Responses.Conn.CLOSE : conn; // the stop began while it ran
        responses.deliver(StatsExchange.encode(ctx.alloc(), answer, c, head), c == Responses.Conn.CLOSE, -1);
        readWhatWaited();
    }

    /** An ingest request is being processed: the connection is busy ({@link ConnectionReading#busy}). */
    boolean ingestProcessing() {
        return ingest != null && ingest.processing();
    }

    private void readWhatWaited() {
        for (Object msg = reading.nextWaiting(); msg != null; msg = reading.nextWaiting()) {
            channelRead(ctx, msg);
        }
        if (inputShut) {
            responses.flushNow(); // answers to what waited, which may not close the connection yet
            closeWhenAnswered();
            return;
        }
        reading.resume();
        responses.flushNow();
    }

    /** Reading pauses while the connection takes no more answers: {@link ConnectionReading#writabilityChanged}. */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        reading.writabilityChanged();
        super.channelWritabilityChanged(ctx);
    }

    private void releaseUnanswered() {
        if (ingest != null) {
            ingest.abandon();
        }
        reading.releaseWaiting();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        responses.flushNow();
    }

    /** A {@code POST /u/<token>}: its body is read by an {@link UnsubscribeExchange}; other methods are answered now. */
    void beginUnsubscribe(HttpRequest request, Responses.Conn conn) {
        unsubscribe = UnsubscribeExchange.begin(this, ctx, edge, local, request, conn);
    }

    /** A {@code GET /v1/stats*}: reading pauses until {@link #statsAnswered}. */
    void beginStats(HttpRequest request, Responses.Conn conn) {
        reading.statsBegun();
        StatsExchange.begin(this, ctx, edge, request, conn);
    }

    /** A {@code POST /v1/events}: its body is read, then processed, by an {@link IngestExchange}. */
    void beginIngest(HttpRequest request, Responses.Conn conn) {
        ingest = new IngestExchange(this, ctx, edge, local.gateNumber, conn);
        ingest.begin(request);
        if (ingest.done()) {
            ingest = null;
        }
    }

    /**
     * The request now arriving took longer than {@code edge.http.request-timeout}
     * ({@link TimedRequestDecoder}): 408 (after any responses still held for this connection), then
     * close without reading the rest.
     *
     * @return false when it cannot be answered now (an ingest request is being processed); ask again later
     */
    boolean requestTimedOut() {
        if (responses.closing() || !ctx.channel().isActive()) {
            return true;
        }
        if (reading.busy()) {
            return false;
        }
        if (ingest != null) {
            ingest.abandon(); // its body stopped short
            ingest = null;
        }
        responses.closeLingering(CloseReason.REQUEST_TIMEOUT);
        responses.send(Route.OTHER, Responses.Kind.REQUEST_TIMEOUT, Responses.Conn.CLOSE, false, -1);
        return true;
    }

    /**
     * After the client shut its sending side: closes once nothing is owed (answers held for the
     * journal, an ingest request being processed, requests waiting behind it), else asks again when
     * that is so. A request whose body was still coming never ends: it is dropped. A closing answer
     * already decided closes the connection itself.
     */
    private void closeWhenAnswered() {
        if (!ctx.channel().isActive() || responses.closing()) {
            return;
        }
        unsubscribe = null;
        if (ingest != null && !ingest.processing()) {
            ingest.abandon();
            ingest = null;
        }
        if (responses.held() > 0) {
            responses.whenNoneHeld(this::closeWhenAnswered);
            return;
        }
        if (reading.busy() || ingest != null || reading.anyWaiting()) {
            return; // resumeAfterIngest (or statsAnswered) asks again
        }
        edge.metrics.connectionClosed(CloseReason.CLIENT_CLOSED);
        responses.flushNow();
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputShut = true;
            closeWhenAnswered();
            return;
        }
        if (evt instanceof ProxyProtocolHandler.ProxiedSource proxied) {
            // the client behind the balancer, for every request after; or none named: no X-Forwarded-For believed
            publisher.proxied(proxied.address());
            return;
        }
        // While a query runs the client is waiting for us, not idle: a queue of slow queries (2 workers, 10 s
        // each) can take longer than the idle timeout to answer.
        if (evt instanceof IdleStateEvent && responses.held() == 0 && !reading.busy() && !responses.closing()) {
            TimedRequestDecoder decoder = ctx.pipeline().get(TimedRequestDecoder.class);
            if (decoder != null && decoder.arriving()) {
                // Part of a request came, then nothing for the idle timeout (set shorter than the
                // request timeout): it is a request that timed out, and gets its 408.
                requestTimedOut();
                return;
            }
            edge.metrics.connectionClosed(CloseReason.IDLE);
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (ignoredAfterClose > 0) {
            CloseReason reason = responses.closeReason();
            log.warn("closed {} from {} ({}) with {} pipelined request(s) unanswered, read after the closing answer",
                    ctx.channel().id(), publisher.describePeer(ctx.channel().remoteAddress()), reason == null ? "closing" : reason.label(),
                    ignoredAfterClose);
        }
        releaseUnanswered();
        super.channelInactive(ctx);
    }

    /** True while a request read (or being read) on this connection has not been answered. */
    private boolean unanswered() {
        TimedRequestDecoder decoder = ctx.pipeline().get(TimedRequestDecoder.class);
        return responses.held() > 0 || ingest != null || reading.busy() || reading.anyWaiting()
                || (decoder != null && decoder.arriving());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof java.io.IOException) {
            // A reset or a write to a closed socket: the peer is gone, nothing can be answered.
            edge.metrics.connectionClosed(CloseReason.IO_ERROR);
            log.debug("closing {} after {}", ctx.channel(), cause.toString());
        } else {
            // A failure of the edge itself: never silent, whatever was owed is lost with the connection.
            edge.metrics.connectionClosed(CloseReason.INTERNAL_ERROR);
            log.warn("closing {} from {} after {}{}", ctx.channel().id(), publisher.describePeer(ctx.channel().remoteAddress()), cause,
                    unanswered() ? " (a request is left unanswered)" : "", cause);
        }
        ctx.close();
    }
}
