package io.trackedge.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.AsciiString;
import io.trackedge.http.Responses;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The plain-Netty baseline of {@link PixelPipelineBenchmark}: Netty's hello-world server handler,
 * answering every request with a {@link DefaultFullHttpResponse} whose content is a duplicate of a
 * static unreleasable buffer holding the same 43-byte GIF, with the same header set as ours.
 */
final class HelloGifHandler extends SimpleChannelInboundHandler<HttpObject> {

    private static final AsciiString IMAGE_GIF = AsciiString.cached("image/gif");
    private static final AsciiString NO_STORE = AsciiString.cached("no-store, no-cache, must-revalidate, private, max-age=0");
    private static final AsciiString NO_CACHE = AsciiString.cached("no-cache");
    private static final AsciiString EPOCH = AsciiString.cached("Thu, 01 Jan 1970 00:00:00 GMT");
    private static final AsciiString SERVER = AsciiString.cached("trackedge");
    private static final AsciiString DATE = AsciiString.cached(DateTimeFormatter
            .ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC).format(Instant.now()));
    private static final ByteBuf GIF = Unpooled.unreleasableBuffer(
            Unpooled.directBuffer(Responses.GIF.length).writeBytes(Responses.GIF));

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
        if (msg instanceof HttpRequest req) {
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            FullHttpResponse response = new DefaultFullHttpResponse(req.protocolVersion(), HttpResponseStatus.OK,
                    GIF.duplicate());
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, IMAGE_GIF)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes())
                    .set(HttpHeaderNames.CACHE_CONTROL, NO_STORE)
                    .set(HttpHeaderNames.PRAGMA, NO_CACHE)
                    .set(HttpHeaderNames.EXPIRES, EPOCH)
                    .set(HttpHeaderNames.DATE, DATE)
                    .set(HttpHeaderNames.SERVER, SERVER);
            if (keepAlive) {
                if (!req.protocolVersion().isKeepAliveDefault()) {
                    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
                }
            } else {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            var f = ctx.write(response);
            if (!keepAlive) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        }
    }
}
