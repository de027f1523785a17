package io.trackedge.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.trackedge.metrics.Route;
import io.trackedge.stats.StatsResponse;
import io.trackedge.stats.StatsService;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * {@code GET /v1/stats*} on the public listener. The query runs on the stats service's pool; meanwhile
 * the connection reads nothing more ({@link TrackingHandler} keeps what was decoded already), and the
 * answer goes through the connection's {@link ConnectionResponses}, so it keeps its place behind
 * answers still held for the journal or an ingest request, and the connection's back-pressure holds.
 */
final class StatsExchange {

    private StatsExchange() {
    }

    /** Starts the query; {@link TrackingHandler#statsAnswered} gets the answer on the connection's loop. */
    static void begin(TrackingHandler handler, ChannelHandlerContext ctx, EdgeContext edge, HttpRequest request,
                      Responses.Conn conn) {
        boolean head = request.method().equals(HttpMethod.HEAD);
        String uri = request.uri();
        edge.stats.handle(request.method().name(), uri, request.headers().get(HttpHeaderNames.AUTHORIZATION))
                .whenComplete((r, e) -> ctx.executor().execute(() -> {
                    StatsResponse answer = e == null ? r : StatsService.unexpected(path(uri), e);
                    edge.metrics.request(Route.STATS, answer.status());
                    handler.statsAnswered(answer, conn, head);
                }));
    }

    /** The stats path of {@code uri}, without its query. */
    static String path(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
    }

    static ByteBuf encode(ByteBufAllocator alloc, StatsResponse r, Responses.Conn conn, boolean head) {
        ByteBuf out = alloc.buffer(256 + r.body().length);
        StringBuilder h = new StringBuilder("HTTP/1.1 ").append(HttpResponseStatus.valueOf(r.status())).append("\r\n")
                .append("Content-Type: ").append(r.contentType()).append("\r\n")
                .append("Content-Length: ").append(r.body().length).append("\r\n")
                .append("Cache-Control: no-store\r\n")
                .append("Connection: ").append(conn == Responses.Conn.CLOSE ? "close" : "keep-alive").append("\r\n");
        for (Map.Entry<String, String> e : r.headers().entrySet()) {
            h.append(e.getKey()).append(": ").append(e.getValue()).append("\r\n");
        }
        h.append("\r\n");
        out.writeCharSequence(h, StandardCharsets.ISO_8859_1);
        if (!head) {
            out.writeBytes(r.body());
        }
        return out;
    }
}
