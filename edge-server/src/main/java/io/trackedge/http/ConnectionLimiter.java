package io.trackedge.http;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.trackedge.metrics.CloseReason;
import io.trackedge.metrics.EdgeMetrics;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps concurrent connections on the public listener. A connection over the cap gets a complete
 * 503 (so a client sees why) and is closed without its bytes being handled ({@link LingeringClose}).
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
            metrics.connectionClosed(CloseReason.MAX_CONNECTIONS);
            ctx.channel().config().setAutoRead(false);
            // Closing with the client's request unread would reset the connection and could destroy
            // the 503 before the client reads it: linger instead.
            ctx.writeAndFlush(responses.get(Responses.Kind.UNAVAILABLE, Responses.Conn.CLOSE, false))
                    .addListener(f -> LingeringClose.start(ctx.channel()));
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
