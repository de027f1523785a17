package io.trackedge.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateEvent;
import io.trackedge.dashboard.Dashboard;
import io.trackedge.metrics.EdgeMetrics;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * The admin listener: {@code /healthz} (the process answers), {@code /readyz} (every readiness
 * check passes; 503 with the failing details otherwise), {@code /metrics} (Prometheus text) and,
 * when there is a database, the dashboard ({@link Dashboard}: {@code /dashboard*}, {@code /static/*}).
 * Not on the hot path, so it uses Netty's ordinary codec and aggregator. A connection with no traffic
 * for the listeners' idle timeout is closed, unless a dashboard page is still being built for it,
 * so a client that connects and sends nothing, or half a request, does not hold it open.
 */
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final EdgeMetrics metrics;
    private final Readiness readiness;
    /** The dashboard pages, or null when there is no database to read. */
    private final Dashboard dashboard;
    /** Dashboard pages being built for this connection off the loop; event loop only. */
    private int building;

    AdminHandler(EdgeMetrics metrics, Readiness readiness, Dashboard dashboard) {
        this.metrics = metrics;
        this.readiness = readiness;
        this.dashboard = dashboard;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws Exception {
        if (!req.decoderResult().isSuccess()) {
            respond(ctx, req, HttpResponseStatus.BAD_REQUEST, "text/plain", "bad request\n");
            return;
        }
        String path = req.uri();
        int q = path.indexOf('?');
        if (q >= 0) {
            path = path.substring(0, q);
        }
        if (dashboard != null && Dashboard.handles(path)) {
            dashboard(ctx, req);
            return;
        }
        switch (path) {
            case "/healthz" -> respond(ctx, req, HttpResponseStatus.OK, "text/plain", "ok\n");
            case "/readyz" -> ready(ctx, req);
            case "/metrics" -> {
                ByteBuf body = ctx.alloc().buffer();
                try (ByteBufOutputStream out = new ByteBufOutputStream(body)) {
                    metrics.scrape(out);
                }
                FullHttpResponse r = new DefaultFullHttpResponse(req.protocolVersion(), HttpResponseStatus.OK, body);
                r.headers().set(HttpHeaderNames.CONTENT_TYPE, metrics.contentType());
                finish(ctx, req, r);
            }
            default -> respond(ctx, req, HttpResponseStatus.NOT_FOUND, "text/plain", "not found\n");
        }
    }

    /** The page is built off this loop; the request's parts are copied out first, as the message is released on return. */
    private void dashboard(ChannelHandlerContext ctx, FullHttpRequest req) {
        HttpVersion version = req.protocolVersion();
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        String body = req.content().toString(StandardCharsets.UTF_8);
        building++;
        boolean sameOrigin = Dashboard.sameOrigin(req.headers().get(HttpHeaderNames.ORIGIN), req.headers().get(HttpHeaderNames.REFERER),
                req.headers().get(HttpHeaderNames.HOST));
        CompletableFuture<Dashboard.Response> answer;
        try {
            answer = dashboard.handle(req.method().name(), req.uri(), req.headers().get(HttpHeaderNames.COOKIE), body, sameOrigin);
        } catch (RuntimeException e) { // answered as a failed page: left pending, the connection was never idled out
            answer = CompletableFuture.failedFuture(e);
        }
        answer.whenComplete((r, e) -> ctx.executor().execute(() -> {
                    building--;
                    Dashboard.Response out = e == null ? r : new Dashboard.Response(500, "text/plain",
                            ("failed: " + e.getMessage()).getBytes(StandardCharsets.UTF_8), java.util.Map.of());
                    FullHttpResponse resp = new DefaultFullHttpResponse(version, HttpResponseStatus.valueOf(out.status()),
                            ctx.alloc().buffer(out.body().length).writeBytes(out.body()));
                    resp.headers().set(HttpHeaderNames.CONTENT_TYPE, out.contentType());
                    out.headers().forEach((name, values) -> resp.headers().add(name, values));
                    resp.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, resp.content().readableBytes());
                    if (!out.headers().containsKey("Cache-Control")) {
                        resp.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
                    }
                    HttpUtil.setKeepAlive(resp, keepAlive);
                    if (keepAlive) {
                        ctx.writeAndFlush(resp);
                    } else {
                        ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
                    }
                }));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            if (building == 0) {
                ctx.close();
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    private void ready(ChannelHandlerContext ctx, FullHttpRequest req) throws Exception {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode checks = root.putObject("checks");
        boolean ok = true;
        for (Readiness.Result r : readiness.run()) {
            ObjectNode c = checks.putObject(r.name());
            c.put("ok", r.ok());
            if (r.degraded()) {
                c.put("degraded", true);
            }
            c.put("detail", r.detail());
            ok &= r.ok();
        }
        root.put("ready", ok);
        respond(ctx, req, ok ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, "application/json",
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
    }

    private void respond(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status, String type, String body) {
        FullHttpResponse r = new DefaultFullHttpResponse(req.protocolVersion(), status,
                ctx.alloc().buffer().writeBytes(body.getBytes(StandardCharsets.UTF_8)));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
        finish(ctx, req, r);
    }

    private void finish(ChannelHandlerContext ctx, FullHttpRequest req, FullHttpResponse r) {
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        HttpUtil.setKeepAlive(r, keepAlive);
        if (keepAlive) {
            ctx.writeAndFlush(r);
        } else {
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
