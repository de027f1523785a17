package io.trackedge.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.trackedge.ingest.IngestJson;
import io.trackedge.ingest.IngestMetrics;
import io.trackedge.metrics.CloseReason;
import io.trackedge.metrics.Route;
import io.trackedge.stats.StatsService;

/**
 * Sends each request head read on a public connection to its route, by path and method. A head the
 * decoder could not read is answered 414, 431 or 400 (505 for an unknown HTTP version) and closes
 * the connection before any route sees it. One instance per connection, used on its event loop only.
 */
final class RequestRouter {

    private final TrackingHandler handler;
    private final EdgeContext edge;
    private final ChannelHandlerContext ctx;
    private final ConnectionResponses responses;
    private final PixelClickRoutes pixelClick;

    RequestRouter(TrackingHandler handler, EdgeContext edge, ChannelHandlerContext ctx, ConnectionResponses responses,
                  PixelClickRoutes pixelClick) {
        this.handler = handler;
        this.edge = edge;
        this.ctx = ctx;
        this.responses = responses;
        this.pixelClick = pixelClick;
    }

    void route(HttpRequest request) {
        DecoderResult result = request.decoderResult();
        if (result.isFailure()) {
            decoderFailure(result.cause());
            return;
        }
        HttpVersion version = request.protocolVersion();
        if (version != HttpVersion.HTTP_1_1 && version != HttpVersion.HTTP_1_0) {
            edge.metrics.decoderFailure();
            responses.closeLingering(CloseReason.BAD_REQUEST);
            responses.send(Route.OTHER, Responses.Kind.VERSION_NOT_SUPPORTED, Responses.Conn.CLOSE, false, -1);
            return;
        }
        Responses.Conn conn = connection(request);
        String uri = request.uri();
        HttpMethod method = request.method();
        boolean get = method == HttpMethod.GET;
        boolean head = method == HttpMethod.HEAD;
        if (uri.startsWith("/o/")) {
            if (get || head) {
                pixelClick.pixel(request, uri, conn, head);
            } else {
                responses.send(Route.PIXEL, Responses.Kind.METHOD_NOT_ALLOWED, conn, false, -1);
            }
        } else if (uri.startsWith("/c/")) {
            if (get || head) {
                pixelClick.click(request, uri, conn, head);
            } else {
                responses.send(Route.CLICK, Responses.Kind.METHOD_NOT_ALLOWED, conn, false, -1);
            }
        } else if (uri.startsWith("/u/")) {
            handler.beginUnsubscribe(request, conn); // issue 13, RFC 8058
        } else if (edge.erasure != null && (uri.equals("/v1/erasure") || uri.startsWith("/v1/erasure?"))) {
            edge.erasure.handle(handler, ctx, edge, request, conn); // issue 13: answers and closes
        } else if (edge.ingest != null && (uri.equals("/v1/events") || uri.startsWith("/v1/events?"))) {
            if (method == HttpMethod.POST) {
                handler.beginIngest(request, conn);
            } else {
                edge.metrics.request(Route.INGEST, 405);
                edge.ingest.metrics().request(IngestMetrics.Outcome.METHOD_NOT_ALLOWED);
                responses.deliver(IngestResponses.build(ctx.alloc(), 405, IngestJson.error("only POST is answered here"),
                        IngestResponses.ALLOW_POST, conn, head), conn == Responses.Conn.CLOSE, -1);
            }
        } else if (edge.stats != null && StatsService.handles(StatsExchange.path(uri))) {
            handler.beginStats(request, conn);
        } else {
            responses.send(Route.OTHER, Responses.Kind.NOT_FOUND, conn, head, -1);
        }
    }

    private Responses.Conn connection(HttpRequest request) {
        if (edge.isDraining() || !HttpUtil.isKeepAlive(request)) {
            return Responses.Conn.CLOSE;
        }
        return request.protocolVersion() == HttpVersion.HTTP_1_0 ? Responses.Conn.KEEP_ALIVE_10 : Responses.Conn.KEEP_ALIVE;
    }

    private void decoderFailure(Throwable cause) {
        edge.metrics.decoderFailure();
        Responses.Kind kind = cause instanceof TooLongHttpLineException ? Responses.Kind.URI_TOO_LONG
                : cause instanceof TooLongHttpHeaderException ? Responses.Kind.HEADERS_TOO_LARGE
                : Responses.Kind.BAD_REQUEST;
        // The rest of what the client sent is unread: a plain close would reset the connection and
        // could destroy the answer before the client reads it.
        responses.closeLingering(CloseReason.BAD_REQUEST);
        responses.send(Route.OTHER, kind, Responses.Conn.CLOSE, false, -1);
    }
}
