package io.trackedge.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolException;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.NetUtil;
import io.trackedge.metrics.CloseReason;
import io.trackedge.metrics.EdgeMetrics;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first message of a connection behind a layer-4 load balancer: the PROXY protocol header
 * ({@link #decoder()} reads v1 and v2 before it, then leaves the pipeline). What the handlers after
 * it learn, as a {@link ProxiedSource} event, when the connection's peer is a trusted proxy:
 * <ul>
 *   <li>a PROXY command over TCP: its source address is the client's, for every request of the
 *       connection (and an {@code X-Forwarded-For} counts only if that source is itself trusted);
 *   <li>anything else (LOCAL, the balancer's own health check; UNKNOWN, a unix socket, UDP): the
 *       socket's address stays, and no {@code X-Forwarded-For} is believed, since the balancer
 *       vouched for no client and anything in that header came from the client.
 * </ul>
 * A header from a peer that is not trusted is read and ignored. A connection whose first bytes do not
 * make a well-formed header within {@code request-timeout} is closed without an answer, counted once
 * as {@code edge_http_closes_total{reason="proxy-protocol"}}.
 */
final class ProxyProtocolHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ProxyProtocolHandler.class);
    /**
     * TLV bytes a v2 header may carry beyond its largest address block (Netty bounds the header at this
     * plus 232 bytes); AWS's and HAProxy's are tens of bytes. A larger header closes the connection.
     */
    static final int MAX_TLV_BYTES = 2048;

    /**
     * What the balancer said of the client.
     *
     * @param address the client's address, or null when the header named none (the socket's stays)
     */
    record ProxiedSource(InetSocketAddress address) {
    }

    private final ClientAddress clientAddress;
    private final EdgeMetrics metrics;
    private final Duration deadline;
    private ScheduledFuture<?> timeout;
    private boolean refused;

    ProxyProtocolHandler(ClientAddress clientAddress, EdgeMetrics metrics, Duration deadline) {
        this.clientAddress = clientAddress;
        this.metrics = metrics;
        this.deadline = deadline;
    }

    /** The decoder to put before this handler: Netty's, with the v2 header's size bounded. */
    static HAProxyMessageDecoder decoder() {
        return new HAProxyMessageDecoder(MAX_TLV_BYTES);
    }

    /**
     * The decoder passes on every read's end, header or not: the header's deadline starts at its first
     * bytes (a balancer may send it only with the client's first data; a silent connection is the idle
     * timer's), and the idle timer, restarted at every byte, would let a trickled header go on forever.
     */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (timeout == null) {
            timeout = ctx.executor().schedule(() -> {
                if (!ctx.isRemoved() && ctx.channel().isActive()) {
                    refuse(ctx, "no complete header within " + deadline + " of its first bytes");
                }
            }, deadline.toNanos(), TimeUnit.NANOSECONDS);
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (timeout != null) {
            timeout.cancel(false);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (!(msg instanceof HAProxyMessage header)) {
            ctx.fireChannelRead(msg); // the request bytes that came with the header, or after it
            return;
        }
        try {
            if (trusted(ctx.channel().remoteAddress())) {
                ctx.fireUserEventTriggered(new ProxiedSource(source(header)));
            }
        } finally {
            header.release();
            ctx.pipeline().remove(this);
        }
    }

    private static InetSocketAddress source(HAProxyMessage h) {
        if (h.command() != HAProxyCommand.PROXY || (h.proxiedProtocol() != HAProxyProxiedProtocol.TCP4
                && h.proxiedProtocol() != HAProxyProxiedProtocol.TCP6) || h.sourceAddress() == null) {
            return null;
        }
        byte[] ip = NetUtil.createByteArrayFromIpAddressString(h.sourceAddress());
        try {
            return ip == null ? null : new InetSocketAddress(InetAddress.getByAddress(ip), h.sourcePort());
        } catch (UnknownHostException e) {
            return null; // not 4 or 16 bytes: cannot happen for an address the decoder accepted
        }
    }

    private boolean trusted(SocketAddress peer) {
        if (peer instanceof InetSocketAddress inet && inet.getAddress() != null) {
            byte[] a = inet.getAddress().getAddress();
            return clientAddress.isTrusted(a, a.length);
        }
        return false;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof HAProxyProtocolException) {
            // The decoder may fail again on the bytes left as the channel closes: refuse counts once.
            refuse(ctx, cause.getMessage());
            return;
        }
        ctx.fireExceptionCaught(cause);
    }

    /** Not a balancer's connection, or a misconfigured one: nothing can be answered on it. */
    private void refuse(ChannelHandlerContext ctx, String why) {
        if (!refused) {
            refused = true;
            metrics.connectionClosed(CloseReason.PROXY_PROTOCOL);
            log.debug("closing {}: no PROXY protocol header ({})", ctx.channel(), why);
        }
        ctx.close();
    }
}
