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
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first message of a connection behind a layer-4 load balancer: the PROXY protocol header
 * ({@link HAProxyMessageDecoder} reads v1 and v2 before it, then leaves the pipeline). When the
 * connection's peer is a trusted proxy and the header is a PROXY command over TCP, its source
 * address becomes the connection's client address ({@link ProxiedSource}, fired to the handlers
 * after); a LOCAL command (the balancer's own health check), another protocol, or an untrusted
 * peer leave the socket's address. A connection that does not start with a well-formed header is
 * closed without an answer, counted as {@code edge_http_closes_total{reason="proxy-protocol"}}.
 */
final class ProxyProtocolHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ProxyProtocolHandler.class);

    /** The client address a trusted proxy's header gave: the peer for everything after it. */
    record ProxiedSource(InetSocketAddress address) {
    }

    private final ClientAddress clientAddress;
    private final EdgeMetrics metrics;
    private boolean refused;

    ProxyProtocolHandler(ClientAddress clientAddress, EdgeMetrics metrics) {
        this.clientAddress = clientAddress;
        this.metrics = metrics;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (!(msg instanceof HAProxyMessage header)) {
            ctx.fireChannelRead(msg); // the request bytes that came with the header, or after it
            return;
        }
        try {
            InetSocketAddress source = source(header);
            if (source != null && trusted(ctx.channel().remoteAddress())) {
                ctx.fireUserEventTriggered(new ProxiedSource(source));
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
        if (ip == null) {
            return null;
        }
        try {
            return new InetSocketAddress(java.net.InetAddress.getByAddress(ip), h.sourcePort());
        } catch (java.net.UnknownHostException e) {
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
            // Not a balancer's connection, or a misconfigured one: nothing can be answered on it. The
            // decoder may fail again on the bytes left as the channel closes: one connection, one count.
            if (!refused) {
                refused = true;
                metrics.connectionClosed(CloseReason.PROXY_PROTOCOL);
                log.debug("closing {}: no PROXY protocol header ({})", ctx.channel(), cause.getMessage());
            }
            ctx.close();
            return;
        }
        ctx.fireExceptionCaught(cause);
    }
}
