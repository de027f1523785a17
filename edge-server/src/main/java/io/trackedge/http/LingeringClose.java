package io.trackedge.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection whose request body will not be read (an ingest request refused before or
 * while its body arrived) without losing the answer: closing a socket with unread input makes
 * the kernel send a reset, which can destroy the response before the client reads it. Instead,
 * after the answer the edge shuts its sending side (FIN), reads and drops whatever still comes
 * for up to {@link #MILLIS} ms or {@link #MAX_BYTES} bytes, then closes.
 */
final class LingeringClose extends ChannelInboundHandlerAdapter {

    static final long MILLIS = 2000;
    static final long MAX_BYTES = 4L << 20;

    private long dropped;

    static void start(Channel ch) {
        if (!ch.isActive()) {
            return;
        }
        if (ch instanceof DuplexChannel d && d.isInputShutdown()) {
            ch.close(); // the client shut its side already: nothing more will come, nothing to wait for
            return;
        }
        ch.pipeline().addFirst("linger", new LingeringClose());
        if (ch instanceof DuplexChannel d) {
            d.shutdownOutput();
        }
        ch.config().setAutoRead(true);
        ch.eventLoop().schedule(() -> {
            ch.close();
        }, MILLIS, TimeUnit.MILLISECONDS);
    }

    /** The client closed its side too (the listener allows half-closed connections): nothing more to wait for. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof io.netty.buffer.ByteBuf b) {
            dropped += b.readableBytes();
        }
        ReferenceCountUtil.release(msg);
        if (dropped > MAX_BYTES) {
            ctx.close();
        }
    }
}
