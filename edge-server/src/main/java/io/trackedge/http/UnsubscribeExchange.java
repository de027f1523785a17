package io.trackedge.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.trackedge.journal.EventType;
import io.trackedge.metrics.Route;
import io.trackedge.config.AckMode;
import io.trackedge.token.TokenKind;
import io.trackedge.token.TokenVerifier;
import java.nio.charset.StandardCharsets;

/**
 * One-click unsubscribe, RFC 8058, on {@code /u/<token>} (a token of kind
 * {@link TokenKind#UNSUBSCRIBE}):
 * <ul>
 *   <li>{@code GET} (and {@code HEAD}): a page with a confirm button, a form that POSTs back. Records
 *       nothing, whoever asks: mail scanners and link checkers fetch every URL of an email.
 *   <li>{@code POST} with the body {@code List-Unsubscribe=One-Click} (form-urlencoded, as mail
 *       clients send it, or multipart/form-data): journals one {@code unsubscribed} event with the
 *       token's fields and answers 200 once the event is as safe as {@code edge.ack} says.
 *   <li>A bad or other-kind token: 400 and nothing recorded; any other method: 405.
 * </ul>
 * One instance per POST, on its connection's event loop; the body is read up to {@link #MAX_BODY}.
 */
final class UnsubscribeExchange {

    /** A one-click body is 26 bytes; a multipart one a few hundred. */
    static final int MAX_BODY = 2048;
    private static final String ONE_CLICK = "List-Unsubscribe=One-Click";

    private final TrackingHandler handler;
    private final ChannelHandlerContext ctx;
    private final EdgeContext edge;
    private final EdgeContext.LoopLocal local;
    private final HttpRequest request;
    private final String uri;
    private final int tokenEnd;
    private final Responses.Conn conn;
    private final byte[] body = new byte[MAX_BODY];
    private int size;
    private boolean tooLong;

    private UnsubscribeExchange(TrackingHandler handler, ChannelHandlerContext ctx, EdgeContext edge,
                                EdgeContext.LoopLocal local, HttpRequest request, String uri, int tokenEnd, Responses.Conn conn) {
        this.handler = handler;
        this.ctx = ctx;
        this.edge = edge;
        this.local = local;
        this.request = request;
        this.uri = uri;
        this.tokenEnd = tokenEnd;
        this.conn = conn;
    }

    /**
     * Answers a GET, HEAD or other method at once (returns null); for a POST returns the exchange
     * that reads its body ({@link #content}).
     */
    static UnsubscribeExchange begin(TrackingHandler handler, ChannelHandlerContext ctx, EdgeContext edge,
                                     EdgeContext.LoopLocal local, HttpRequest request, Responses.Conn conn) {
        String uri = request.uri();
        int q = uri.indexOf('?');
        int tokenEnd = q < 0 ? uri.length() : q;
        HttpMethod m = request.method();
        if (m == HttpMethod.POST) {
            return new UnsubscribeExchange(handler, ctx, edge, local, request, uri, tokenEnd, conn);
        }
        boolean head = m == HttpMethod.HEAD;
        if (m != HttpMethod.GET && !head) {
            edge.metrics.request(Route.UNSUBSCRIBE, 405);
            handler.responses().deliver(UnsubscribePages.methodNotAllowed(ctx.alloc(), conn), conn == Responses.Conn.CLOSE, -1);
            return null;
        }
        if (!verifies(local, uri, tokenEnd)) {
            edge.metrics.invalidToken(Route.UNSUBSCRIBE);
            edge.metrics.request(Route.UNSUBSCRIBE, 400);
            handler.responses().deliver(UnsubscribePages.badLink(ctx.alloc(), conn, head), conn == Responses.Conn.CLOSE, -1);
            return null;
        }
        edge.metrics.request(Route.UNSUBSCRIBE, 200);
        handler.responses().deliver(UnsubscribePages.confirm(ctx.alloc(), uri.substring(0, tokenEnd), conn, head),
                conn == Responses.Conn.CLOSE, -1);
        return null;
    }

    /** Takes a piece of the body; returns true once the request is answered (the last piece came). */
    boolean content(HttpContent content) {
        ByteBuf b = content.content();
        int n = b.readableBytes();
        if (size + n > MAX_BODY) {
            tooLong = true;
        } else {
            b.getBytes(b.readerIndex(), body, size, n);
            size += n;
        }
        if (content.decoderResult().isFailure()) {
            edge.metrics.request(Route.UNSUBSCRIBE, 400);
            handler.responses().deliverLingering(UnsubscribePages.badBody(ctx.alloc(), Responses.Conn.CLOSE));
            return true;
        }
        if (!(content instanceof LastHttpContent)) {
            return false;
        }
        finish();
        return true;
    }

    private void finish() {
        // Verified again here, not at the head: the loop's verifier has served other connections since.
        if (!verifies(local, uri, tokenEnd)) {
            edge.metrics.invalidToken(Route.UNSUBSCRIBE);
            edge.metrics.request(Route.UNSUBSCRIBE, 400);
            handler.responses().deliver(UnsubscribePages.badLink(ctx.alloc(), conn, false), conn == Responses.Conn.CLOSE, -1);
            return;
        }
        if (tooLong || !isOneClick(request.headers().get(HttpHeaderNames.CONTENT_TYPE), new String(body, 0, size,
                StandardCharsets.ISO_8859_1))) {
            edge.metrics.request(Route.UNSUBSCRIBE, 400);
            handler.responses().deliver(UnsubscribePages.badBody(ctx.alloc(), conn), conn == Responses.Conn.CLOSE, -1);
            return;
        }
        long[] id = handler.publisher().unsubscribeId();
        if (local.unsubscribed.contains(id[0], id[1]) && (edge.ackMode != AckMode.MEMORY || edge.ring.appender().healthy())) {
            // Recorded lately by this loop (and written, under journal and fsync): the sink would keep one anyway. Under
            // memory, not while the journal is known to fail: the first may not have been written.
            edge.metrics.request(Route.UNSUBSCRIBE, 200);
            handler.responses().deliver(UnsubscribePages.done(ctx.alloc(), conn), conn == Responses.Conn.CLOSE, -1);
            return;
        }
        long sequence = handler.publisher().recordUnsubscribe(request, id);
        if (sequence < 0) {
            edge.metrics.request(Route.UNSUBSCRIBE, 503);
            handler.responses().deliver(UnsubscribePages.unavailable(ctx.alloc(), conn), conn == Responses.Conn.CLOSE, -1);
            return;
        }
        if (edge.ackMode == AckMode.MEMORY) {
            local.unsubscribed.add(id[0], id[1]);
            edge.metrics.request(Route.UNSUBSCRIBE, 200);
            handler.responses().deliver(UnsubscribePages.done(ctx.alloc(), conn), conn == Responses.Conn.CLOSE, -1);
            return;
        }
        handler.responses().deliverPublished(new JournaledAnswer(UnsubscribePages.done(ctx.alloc(), conn), sequence, id),
                conn == Responses.Conn.CLOSE, sequence);
    }

    /**
     * The "unsubscribed" page, said only once the event is in the journal: the appender handles a batch it
     * could not write too (the disk refused it, the cap), and the provider must then be told to retry.
     */
    private final class JournaledAnswer implements Acknowledgement {
        private final ByteBuf done;
        private final long sequence;
        private final long[] id;

        JournaledAnswer(ByteBuf done, long sequence, long[] id) {
            this.done = done;
            this.sequence = sequence;
            this.id = id;
        }

        @Override
        public ByteBuf resolve(Journal journal) {
            if (journal.written(sequence, sequence)) {
                local.unsubscribed.add(id[0], id[1]); // resolved on this connection's loop: the set is that loop's
                edge.metrics.request(Route.UNSUBSCRIBE, 200);
                return done;
            }
            done.release();
            edge.metrics.request(Route.UNSUBSCRIBE, 503);
            return UnsubscribePages.unavailable(ctx.alloc(), conn);
        }
    }

    private static boolean verifies(EdgeContext.LoopLocal local, String uri, int tokenEnd) {
        return tokenEnd > 3 && local.verifier.verify(uri, 3, tokenEnd, RingPublisher.NO_URL, 0) == TokenVerifier.OK
                && local.verifier.kind() == TokenKind.UNSUBSCRIBE;
    }

    /**
     * RFC 8058 section 3.1: the POST carries the pair List-Unsubscribe=One-Click, as
     * application/x-www-form-urlencoded or multipart/form-data.
     */
    static boolean isOneClick(String contentType, String body) {
        String type = contentType == null ? "" : contentType.toLowerCase(java.util.Locale.ROOT);
        if (type.startsWith("multipart/form-data")) {
            int name = body.indexOf("name=\"List-Unsubscribe\"");
            if (name < 0) {
                return false;
            }
            int value = body.indexOf("\r\n\r\n", name);
            return value > 0 && body.startsWith("One-Click", value + 4);
        }
        if (!type.isEmpty() && !type.startsWith("application/x-www-form-urlencoded")) {
            return false;
        }
        for (String pair : body.trim().split("&")) {
            if (pair.equals(ONE_CLICK)) {
                return true;
            }
        }
        return false;
    }
}
