package io.trackedge.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpRequest;
import io.trackedge.journal.EventType;
import io.trackedge.config.RingFullPolicy;
import io.trackedge.metrics.Route;
import io.trackedge.token.TokenKind;
import io.trackedge.token.TokenVerifier;
import io.trackedge.token.UrlPolicy;

/**
 * The rules of the two tracking routes, for {@code GET} and {@code HEAD}:
 *
 * <ul>
 *   <li>{@code /o/<token>.gif}: the GIF, always; an open event when the token verifies as an open.</li>
 *   <li>{@code /c/<token>[?u=<url>]}: 302 to the signed destination and a click event, or 400 when
 *       the token, the URL or the pair is not valid. Never a redirect anywhere else.</li>
 * </ul>
 *
 * A full ring under the {@code reject} policy answers 503 instead. Allocation-free apart from the
 * redirect; one instance per connection, used on its event loop only.
 */
final class PixelClickRoutes {

    private final EdgeContext edge;
    private final ChannelHandlerContext ctx;
    private final EdgeContext.LoopLocal local;
    private final RingPublisher publisher;
    private final ConnectionResponses responses;

    PixelClickRoutes(EdgeContext edge, ChannelHandlerContext ctx, EdgeContext.LoopLocal local, RingPublisher publisher,
                     ConnectionResponses responses) {
        this.edge = edge;
        this.ctx = ctx;
        this.local = local;
        this.publisher = publisher;
        this.responses = responses;
    }

    void pixel(HttpRequest request, String uri, Responses.Conn conn, boolean head) {
        int end = uri.indexOf('?');
        if (end < 0) {
            end = uri.length();
        }
        if (edge.fullPolicy == RingFullPolicy.REJECT && edge.ring.remainingCapacity() == 0) {
            // Whatever the token, as a valid one would be answered now: an answer that differed (a GIF for a bad
            // token, or for a good one over the rate limit) would tell an outsider which tokens are valid.
            edge.metrics.rejectedRingFull();
            responses.send(Route.PIXEL, Responses.Kind.UNAVAILABLE, conn, head, -1);
            return;
        }
        long sequence = -1;
        boolean valid = end - 3 > 4 && uri.startsWith(".gif", end - 4)
                && local.verifier.verify(uri, 3, end - 4, RingPublisher.NO_URL, 0) == TokenVerifier.OK
                && local.verifier.kind() == TokenKind.OPEN;
        if (valid) {
            sequence = publisher.record(request, EventType.OPEN, head, RingPublisher.NO_URL, 0, 0);
            if (sequence == RingPublisher.REJECTED) {
                responses.send(Route.PIXEL, Responses.Kind.UNAVAILABLE, conn, head, -1);
                return;
            }
        } else {
            edge.metrics.invalidToken(Route.PIXEL);
        }
        responses.send(Route.PIXEL, Responses.Kind.PIXEL, conn, head, sequence);
    }

    void click(HttpRequest request, String uri, Responses.Conn conn, boolean head) {
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
        long sequence = publisher.record(request, EventType.CLICK, head, url, urlOffset, urlLength);
        if (sequence == RingPublisher.REJECTED) {
            responses.send(Route.CLICK, Responses.Kind.UNAVAILABLE, conn, head, -1);
            return;
        }
        ByteBuf response = edge.responses.redirect(ctx.alloc(), url, urlOffset, urlLength, conn);
        edge.metrics.request(Route.CLICK, 302);
        responses.deliver(response, conn == Responses.Conn.CLOSE, sequence);
    }

    private void badLink(Responses.Conn conn, boolean head) {
        responses.send(Route.CLICK, Responses.Kind.BAD_LINK, conn, head, -1);
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
}
