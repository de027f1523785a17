package io.trackedge.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin listener's first handler: a connection that starts with a PROXY protocol header (v1 or
 * v2) has it read and dropped, and any other connection goes on as it came. A load balancer with the
 * PROXY protocol on sends the header on its health checks too (AWS's NLB does, to whatever port the
 * check uses), so without this its HTTP check of {@code /readyz} would reach the HTTP decoder as
 * garbage. Nothing on the admin listener uses a client address, so the header is neither required
 * nor believed, only taken out of the way; a malformed one closes the connection.
 */
final class AdminProxyHeader extends ByteToMessageDecoder {

    private static final Logger log = LoggerFactory.getLogger(AdminProxyHeader.class);

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        switch (HAProxyMessageDecoder.detectProtocol(in).state()) {
            case NEEDS_MORE_DATA -> {
                // fewer bytes than the v2 signature: wait (an HTTP request line is longer)
            }
            case DETECTED -> ctx.pipeline().addAfter(ctx.name(), null, new Drop())
                    .replace(this, null, ProxyProtocolHandler.decoder());
            case INVALID -> ctx.pipeline().remove(this);
        }
    }

    /** Drops the decoded header, then leaves; closes the connection on a malformed one. */
    private static final class Drop extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HAProxyMessage header) {
                header.release();
                ctx.pipeline().remove(this);
                return;
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof HAProxyProtocolException) {
                log.debug("admin listener: malformed PROXY header from {}: {}", ctx.channel().remoteAddress(), cause.getMessage());
                ctx.close();
                return;
            }
            ctx.fireExceptionCaught(cause);
        }
    }
}
