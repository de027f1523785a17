package io.trackedge.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.trackedge.metrics.Route;
import io.trackedge.stats.StatsResponse;
import io.trackedge.stats.StatsService;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Map;

/**
 * {@code GET /v1/stats*} on the public listener, placed before the tracking handler: it takes the
 * requests for its paths and passes everything else on untouched. The query runs on the stats
 * service's pool; while it runs, reading pauses and anything decoded meanwhile waits here, then
 * goes on in order once the answer is written, so a pipelined request behind a stats query is not
 * answered before it. Malformed requests go on to the tracking handler, which answers them.
 */
final class StatsHandler extends ChannelDuplexHandler {

    private final StatsService stats;
    private final EdgeContext edge;
    /** Messages that arrived while a query ran; null when none is running. */
    private ArrayDeque<Object> waiting;
    /** The body of the stats request being skipped (a GET has none, but the decoder still sends its end). */
    private boolean skippingBody;

    StatsHandler(StatsService stats, EdgeContext edge) {
        this.stats = stats;
        this.edge = edge;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (waiting != null) {
            waiting.add(msg);
            return;
        }
        if (skippingBody && msg instanceof HttpContent c) {
            skippingBody = !(msg instanceof LastHttpContent);
            ReferenceCountUtil.release(c);
            return;
        }
        if (msg instanceof HttpRequest req && req.decoderResult().isSuccess() && StatsService.handles(path(req.uri()))) {
            skippingBody = !(msg instanceof LastHttpContent);
            ReferenceCountUtil.release(msg);
            waiting = new ArrayDeque<>();
            ctx.channel().config().setAutoRead(false);
            boolean keepAlive = HttpUtil.isKeepAlive(req) && !edge.isDraining();
            boolean head = req.method().equals(HttpMethod.HEAD);
            String uri = req.uri();
            stats.handle(req.method().name(), uri, req.headers().get(HttpHeaderNames.AUTHORIZATION))
                    .whenComplete((r, e) -> ctx.executor().execute(() -> answered(ctx,
                            e == null ? r : StatsService.unexpected(path(uri), e), keepAlive, head)));
            return;
        }
        ctx.fireChannelRead(msg);
    }

    /**
     * While a query runs the client is waiting for us, not idle: the idle timeout (60 s) closing the
     * connection then would drop an answer a queue of slow queries (2 workers, 10 s each) can take
     * longer than that to give, as the admin listener's dashboard already guards against.
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent && waiting != null) {
            return;
        }
        if (evt instanceof ChannelInputShutdownEvent && waiting != null) {
            waiting.add(evt); // the client shut its side: passed on, to close the connection, after this answer
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    private void answered(ChannelHandlerContext ctx, StatsResponse r, boolean keepAlive, boolean head) {
        edge.metrics.request(Route.STATS, r.status());
        if (!ctx.channel().isActive()) {
            drop();
            return;
        }
        ByteBuf out = ctx.alloc().buffer(256 + r.body().length);
        StringBuilder h = new StringBuilder("HTTP/1.1 ").append(HttpResponseStatus.valueOf(r.status())).append("\r\n")
                .append("Content-Type: ").append(r.contentType()).append("\r\n")
                .append("Content-Length: ").append(r.body().length).append("\r\n")
                .append("Cache-Control: no-store\r\n")
                .append("Connection: ").append(keepAlive ? "keep-alive" : "close").append("\r\n");
        for (Map.Entry<String, String> e : r.headers().entrySet()) {
            h.append(e.getKey()).append(": ").append(e.getValue()).append("\r\n");
        }
        h.append("\r\n");
        out.writeCharSequence(h, StandardCharsets.ISO_8859_1);
        if (!head) {
            out.writeBytes(r.body());
        }
        if (!keepAlive) {
            drop();
            ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.writeAndFlush(out);
        ArrayDeque<Object> q = waiting;
        waiting = null;
        ctx.channel().config().setAutoRead(true);
        while (!q.isEmpty()) {
            if (waiting != null) { // another stats request among them: the rest waits for it
                waiting.addAll(q);
                return;
            }
            Object next = q.poll();
            if (next instanceof ChannelInputShutdownEvent shut) {
                ctx.fireUserEventTriggered(shut);
            } else {
                channelRead(ctx, next);
            }
        }
        ctx.fireChannelReadComplete();
    }

    private void drop() {
        if (waiting != null) {
            waiting.forEach(ReferenceCountUtil::release);
            waiting = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        drop();
        super.channelInactive(ctx);
    }

    private static String path(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
    }
}
