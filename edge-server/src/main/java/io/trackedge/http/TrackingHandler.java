package io.trackedge.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.trackedge.config.AckMode;
import io.trackedge.config.RingFullPolicy;
import io.trackedge.metrics.CloseReason;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.metrics.Route;
import io.trackedge.ring.EventIds;
import io.trackedge.ring.RingEvent;
import io.trackedge.token.TokenKind;
import io.trackedge.token.TokenVerifier;
import io.trackedge.token.UrlPolicy;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
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
 *   <li>Other methods on those paths: 405. Anything else: 404.</li>
 * </ul>
 *
 * Responses are written per request and flushed once per read batch. Under {@code journal} and
 * {@code fsync} acknowledgements, a response whose event went into the ring is held by the loop's
 * {@link AckGate} until the appender reports the event written; a later response on the same
 * connection queues behind it so pipelined answers keep their order.
 */
public final class TrackingHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(TrackingHandler.class);
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    static final byte[] NO_URL = new byte[0];

    private final EdgeContext edge;
    private EdgeContext.LoopLocal local;
    private ChannelHandlerContext ctx;
    private final byte[] peerIp = new byte[16];
    private int peerIpLength;
    private boolean peerTrusted;
    private int held;
    private boolean needsFlush;
    private boolean closing;
    /** The closing response leaves a request body unread: close with {@link LingeringClose}. */
    private boolean lingerOnClose;
    /** The {@code POST /v1/events} being read or processed, or null. */
    private IngestExchange ingest;
    /** The {@code POST /u/<token>} whose body is being read, or null (issue 13). */
    private UnsubscribeExchange unsubscribe;
    /** Messages decoded while an ingest request was processed; handled, in order, after its answer. */
    private ArrayDeque<Object> deferred;
    /** Why this connection closes once {@link #closing}; counted in {@code edge_http_closes_total}. */
    private CloseReason closeReason;
    /** Requests read after the closing answer was decided: they get none (the client was told to close). */
    private int ignoredAfterClose;

    public TrackingHandler(EdgeContext edge) {
        this.edge = edge;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.local = edge.local(ctx.channel().eventLoop());
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        SocketAddress remote = ctx.channel().remoteAddress();
        if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
            byte[] a = inet.getAddress().getAddress();
            System.arraycopy(a, 0, peerIp, 0, a.length);
            peerIpLength = a.length;
            peerTrusted = edge.clientAddress.isTrusted(peerIp, peerIpLength);
        }
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (ingest != null && ingest.processing()) {
            // Decoded before reading paused; answered after the ingest request, in order.
            if (deferred == null) {
                deferred = new ArrayDeque<>();
            }
            deferred.add(msg);
            return;
        }
        try {
            if (msg instanceof HttpRequest request) {
                unsubscribe = null; // a new request where a body was expected: the decoder moved on
                if (ingest != null) {
                    ingest.abandon(); // a new request where a body was expected: the decoder moved on
                    ingest = null;
                }
                if (!closing) {
                    handle(request);
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
            } else if (msg instanceof HttpContent content && content.decoderResult().isFailure() && !closing) {
                // The body of a request answered from its head broke (a bad chunk size): the decoder
                // has lost the framing and drops whatever follows, so no later request can be
                // answered. Close once the answers already given are out.
                edge.metrics.decoderFailure();
                lingerOnClose = true;
                closeBecause(CloseReason.BAD_REQUEST);
                deliver(Unpooled.EMPTY_BUFFER, true, -1);
            }
            // Bodies of other requests are read and dropped; the decoder keeps the framing.
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    /** The ingest request was answered (or its answer is held): read on, beginning with what waited. */
    void resumeAfterIngest() {
        ingest = null;
        while (deferred != null && !deferred.isEmpty() && (ingest == null || !ingest.processing())) {
            channelRead(ctx, deferred.poll());
        }
        if (mayRead()) {
            ctx.channel().config().setAutoRead(true);
        }
        flushNow();
    }

    /** The ingest request's keys were reloaded and its head judged again: its body (if read) and what waited go on. */
    void resumeAfterKeyReload() {
        if (ingest != null && ingest.done()) {
            ingest = null;
        }
        while (deferred != null && !deferred.isEmpty() && (ingest == null || !ingest.processing())) {
            channelRead(ctx, deferred.poll());
        }
        if (mayRead()) {
            ctx.channel().config().setAutoRead(true);
        }
        flushNow();
    }

    /**
     * Reading pauses while the connection takes no more answers (a client that pipelines requests
     * and reads nothing would otherwise make the edge queue answers without bound), and resumes
     * when the queue has drained.
     */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (!ctx.channel().isWritable()) {
            ctx.channel().config().setAutoRead(false);
        } else if (mayRead()) {
            ctx.channel().config().setAutoRead(true);
        }
        super.channelWritabilityChanged(ctx);
    }

    private boolean mayRead() {
        return !closing && !edge.isDraining() && (ingest == null || !ingest.processing()) && ctx.channel().isWritable();
    }

    private void releaseUnanswered() {
        if (ingest != null) {
            ingest.abandon();
        }
        if (deferred != null) {
            deferred.forEach(ReferenceCountUtil::release);
            deferred.clear();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flushNow();
    }

    void flushNow() {
        if (needsFlush) {
            needsFlush = false;
            ctx.flush();
        }
    }

    private void handle(HttpRequest request) {
        DecoderResult result = request.decoderResult();
        if (result.isFailure()) {
            decoderFailure(result.cause());
            return;
        }
        HttpVersion version = request.protocolVersion();
        if (version != HttpVersion.HTTP_1_1 && version != HttpVersion.HTTP_1_0) {
            edge.metrics.decoderFailure();
            lingerOnClose = true;
            closeBecause(CloseReason.BAD_REQUEST);
            send(Route.OTHER, Responses.Kind.VERSION_NOT_SUPPORTED, Responses.Conn.CLOSE, false, -1);
            return;
        }
        Responses.Conn conn = connection(request);
        String uri = request.uri();
        HttpMethod method = request.method();
        boolean get = method == HttpMethod.GET;
        boolean head = method == HttpMethod.HEAD;
        if (uri.startsWith("/o/")) {
            if (get || head) {
                pixel(request, uri, conn, head);
            } else {
                send(Route.PIXEL, Responses.Kind.METHOD_NOT_ALLOWED, conn, false, -1);
            }
        } else if (uri.startsWith("/c/")) {
            if (get || head) {
                click(request, uri, conn, head);
            } else {
                send(Route.CLICK, Responses.Kind.METHOD_NOT_ALLOWED, conn, false, -1);
            }
        } else if (uri.startsWith("/u/")) {
            unsubscribe = UnsubscribeExchange.begin(this, ctx, edge, local, request, conn); // issue 13, RFC 8058
        } else if (edge.erasure != null && (uri.equals("/v1/erasure") || uri.startsWith("/v1/erasure?"))) {
            edge.erasure.handle(this, ctx, edge, request, conn); // issue 13: answers and closes
        } else if (edge.ingest != null && (uri.equals("/v1/events") || uri.startsWith("/v1/events?"))) {
            if (method == HttpMethod.POST) {
                ingest = new IngestExchange(this, ctx, edge, local.gate, conn);
                ingest.begin(request);
                if (ingest.done()) {
                    ingest = null;
                }
            } else {
                edge.metrics.request(Route.INGEST, 405);
                edge.ingest.metrics().request(io.trackedge.ingest.IngestMetrics.Outcome.METHOD_NOT_ALLOWED);
                deliver(IngestResponses.build(ctx.alloc(), 405, io.trackedge.ingest.IngestJson.error("only POST is answered here"),
                        IngestResponses.ALLOW_POST, conn, head), conn == Responses.Conn.CLOSE, -1);
            }
        } else {
            send(Route.OTHER, Responses.Kind.NOT_FOUND, conn, head, -1);
        }
    }

    private Responses.Conn connection(HttpRequest request) {
        if (edge.isDraining() || !HttpUtil.isKeepAlive(request)) {
            return Responses.Conn.CLOSE;
        }
        return request.protocolVersion() == HttpVersion.HTTP_1_0 ? Responses.Conn.KEEP_ALIVE_10 : Responses.Conn.KEEP_ALIVE;
    }

    private void pixel(HttpRequest request, String uri, Responses.Conn conn, boolean head) {
        int end = uri.indexOf('?');
        if (end < 0) {
            end = uri.length();
        }
        long sequence = -1;
        boolean valid = end - 3 > 4 && uri.startsWith(".gif", end - 4)
                && local.verifier.verify(uri, 3, end - 4, NO_URL, 0) == TokenVerifier.OK
                && local.verifier.kind() == TokenKind.OPEN;
        if (valid) {
            sequence = record(request, EventType.OPEN, head, NO_URL, 0, 0);
            if (sequence == REJECTED) {
                send(Route.PIXEL, Responses.Kind.UNAVAILABLE, conn, head, -1);
                return;
            }
        } else {
            edge.metrics.invalidToken(Route.PIXEL);
        }
        send(Route.PIXEL, Responses.Kind.PIXEL, conn, head, sequence);
    }

    private void click(HttpRequest request, String uri, Responses.Conn conn, boolean head) {
        int query = uri.indexOf('?');
        int tokenEnd = query < 0 ? uri.length() : query;
        int queryUrlLength = query < 0 ? 0 : QueryParam.decode(uri, query + 1, "u", local.url);
        if (queryUrlLength < 0) {
            badLink(conn, head);
            return;
        }
        TokenVerifier v = local.verifier;
        if (v.verify(uri, 3, tokenEnd, local.url, queryUrlLength) != TokenVerifier.OK) {
            edge.metrics.invalidToken(Route.CLICK);
            badLink(conn, head);
            return;
        }
        byte[] url;
        int urlOffset;
        int urlLength;
        if (v.kind() == TokenKind.CLICK) {
            url = v.bytes();
            urlOffset = v.inlineUrlOffset();
            urlLength = v.inlineUrlLength();
            if (queryUrlLength > 0 && !sameBytes(url, urlOffset, urlLength, local.url, queryUrlLength)) {
                badLink(conn, head); // a u= that is not the signed destination
                return;
            }
        } else if (v.kind() == TokenKind.CLICK_URL_IN_QUERY && queryUrlLength > 0) {
            url = local.url;
            urlOffset = 0;
            urlLength = queryUrlLength;
        } else {
            edge.metrics.invalidToken(Route.CLICK);
            badLink(conn, head);
            return;
        }
        if (UrlPolicy.check(url, urlOffset, urlLength) != null) {
            badLink(conn, head);
            return;
        }
        long sequence = record(request, EventType.CLICK, head, url, urlOffset, urlLength);
        if (sequence == REJECTED) {
            send(Route.CLICK, Responses.Kind.UNAVAILABLE, conn, head, -1);
            return;
        }
        ByteBuf response = edge.responses.redirect(ctx.alloc(), url, urlOffset, urlLength, conn);
        edge.metrics.request(Route.CLICK, 302);
        deliver(response, conn == Responses.Conn.CLOSE, sequence);
    }

    private void badLink(Responses.Conn conn, boolean head) {
        send(Route.CLICK, Responses.Kind.BAD_LINK, conn, head, -1);
    }

    private static boolean sameBytes(byte[] a, int aOff, int aLen, byte[] b, int bLen) {
        if (aLen != bLen) {
            return false;
        }
        for (int i = 0; i < aLen; i++) {
            if (a[aOff + i] != b[i]) {
                return false;
            }
        }
        return true;
    }

    static final long NOT_RECORDED = -1;
    static final long REJECTED = -2;

    /**
     * Publishes an event for the token just verified.
     *
     * @return the ring sequence to acknowledge, {@link #NOT_RECORDED} when the event was shed, or
     *     {@link #REJECTED} when the ring is full and the policy is to refuse the request
     */
    long record(HttpRequest request, EventType type, boolean head, byte[] url, int urlOffset, int urlLength) {
        long sequence = edge.ring.tryClaim();
        if (sequence < 0) {
            if (edge.fullPolicy == RingFullPolicy.REJECT) {
                edge.metrics.rejectedRingFull();
                return REJECTED;
            }
            edge.metrics.shedRingFull();
            return NOT_RECORDED;
        }
        RingEvent e = edge.ring.slot(sequence);
        try {
            long now = System.currentTimeMillis();
            e.reset(type, EventIds.msb(now), EventIds.lsb(), now * 1000);
            int flags = head ? EventRecord.FLAG_HEAD : 0;
            clientIp(request, e);
            String ua = request.headers().get(HttpHeaderNames.USER_AGENT);
            if (ua != null && e.userAgent(ua)) {
                flags |= EventRecord.FLAG_UA_CUT;
                edge.metrics.userAgentCut();
            }
            TokenVerifier v = local.verifier;
            e.fields(v.bytes(), v.fieldsOffset(), v.fieldsLength());
            if (urlLength > 0) {
                e.url(url, urlOffset, urlLength);
            }
            e.flags(flags);
            e.listener(edge.ackMode == AckMode.MEMORY ? null : local.gate);
        } finally {
            // A claimed sequence must always be published, or the ring stalls behind it.
            edge.ring.publish(sequence);
            if (local.wake != null) {
                local.wake.published();
            }
        }
        return edge.ackMode == AckMode.MEMORY ? NOT_RECORDED : sequence;
    }

    private void clientIp(HttpRequest request, RingEvent e) {
        if (peerTrusted) {
            String xff = request.headers().get(X_FORWARDED_FOR);
            if (xff != null) {
                int n = edge.clientAddress.fromForwardedFor(xff, local.ip);
                if (n > 0) {
                    e.ip(local.ip, n);
                    return;
                }
            }
        }
        e.ip(peerIp, peerIpLength);
    }

    private void send(Route route, Responses.Kind kind, Responses.Conn conn, boolean head, long sequence) {
        edge.metrics.request(route, kind.status());
        deliver(edge.responses.get(kind, conn, head), conn == Responses.Conn.CLOSE, sequence);
    }

    /** {@link #deliver} for a response whose sequence was published by an ingest worker, not this loop. */
    void deliverPublished(Object response, boolean close, long sequence) {
        if (sequence >= 0) {
            if (close) {
                markClosing();
            }
            held++;
            local.gate.holdPublishedElsewhere(this, response, sequence, close);
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
            held++;
            local.gate.hold(this, response, sequence, close);
        } else if (held > 0) {
            held++;
            local.gate.holdBehind(this, response, close);
        } else {
            release0(response, close);
        }
    }

    /** Called by the gate, on this connection's loop, when a held response may go. */
    void release(Object response, boolean close) {
        held--;
        release0(response, close);
    }

    /** No later request on this connection is answered: this one's answer comes from another thread, then it closes. */
    void answerLastFromElsewhere() {
        closing = true;
    }

    /** Answers and closes a connection whose request body is (perhaps) still arriving. */
    void deliverLingering(ByteBuf response) {
        lingerOnClose = true;
        closeBecause(CloseReason.INGEST_BODY_UNREAD);
        deliver(response, true, -1);
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

    private void release0(Object response, boolean close) {
        if (close) {
            edge.metrics.connectionClosed(closeReason == null ? CloseReason.CLIENT_ASKED : closeReason);
        }
        if (close && lingerOnClose) {
            ctx.writeAndFlush(response).addListener(f -> LingeringClose.start(ctx.channel()));
        } else if (close) {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.write(response, ctx.voidPromise());
            needsFlush = true;
        }
    }

    private void decoderFailure(Throwable cause) {
        edge.metrics.decoderFailure();
        Responses.Kind kind = cause instanceof TooLongHttpLineException ? Responses.Kind.URI_TOO_LONG
                : cause instanceof TooLongHttpHeaderException ? Responses.Kind.HEADERS_TOO_LARGE
                : Responses.Kind.BAD_REQUEST;
        // The rest of what the client sent is unread: a plain close would reset the connection and
        // could destroy the answer before the client reads it.
        lingerOnClose = true;
        closeBecause(CloseReason.BAD_REQUEST);
        send(Route.OTHER, kind, Responses.Conn.CLOSE, false, -1);
    }

    /**
     * The request now arriving took longer than {@code edge.http.request-timeout}
     * ({@link TimedRequestDecoder}): 408 (after any responses still held for this connection), then
     * close without reading the rest.
     *
     * @return false when it cannot be answered now (an ingest request is being processed); ask again later
     */
    boolean requestTimedOut() {
        if (closing || !ctx.channel().isActive()) {
            return true;
        }
        if (ingest != null) {
            if (ingest.processing()) {
                return false;
            }
            ingest.abandon(); // its body stopped short
            ingest = null;
        }
        lingerOnClose = true;
        closeBecause(CloseReason.REQUEST_TIMEOUT);
        send(Route.OTHER, Responses.Kind.REQUEST_TIMEOUT, Responses.Conn.CLOSE, false, -1);
        return true;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent && held == 0 && (ingest == null || !ingest.processing()) && !closing) {
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
            log.warn("closed {} from {} ({}) with {} pipelined request(s) unanswered, read after the closing answer",
                    ctx.channel().id(), ctx.channel().remoteAddress(), closeReason == null ? "closing" : closeReason.label(),
                    ignoredAfterClose);
        }
        releaseUnanswered();
        super.channelInactive(ctx);
    }

    /** True while a request read (or being read) on this connection has not been answered. */
    private boolean unanswered() {
        TimedRequestDecoder decoder = ctx.pipeline().get(TimedRequestDecoder.class);
        return held > 0 || ingest != null || (deferred != null && !deferred.isEmpty())
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
            log.warn("closing {} from {} after {}{}", ctx.channel().id(), ctx.channel().remoteAddress(), cause,
                    unanswered() ? " (a request is left unanswered)" : "", cause);
        }
        ctx.close();
    }
}
