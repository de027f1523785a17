package io.trackedge.http;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.trackedge.metrics.EdgeMetrics;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps concurrent connections on the public listener. A connection over the cap gets a complete
 * 503 (so a client sees why) and is closed before any of its bytes are read.
 */
@ChannelHandler.Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {

    private final int max;
    private final AtomicInteger open = new AtomicInteger();
    private final Responses responses;
    private final EdgeMetrics metrics;

    ConnectionLimiter(int max, Responses responses, EdgeMetrics metrics) {
        this.max = max;
        this.responses = responses;
        this.metrics = metrics;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        if (open.incrementAndGet() > max) {
            metrics.connectionRejected();
            ctx.channel().config().setAutoRead(false);
            ctx.writeAndFlush(responses.get(Responses.Kind.UNAVAILABLE, Responses.Conn.CLOSE, false))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        open.decrementAndGet();
        super.channelInactive(ctx);
    }

    int open() {
        return open.get();
    }
}
