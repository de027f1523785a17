package io.trackedge.http;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.timeout.IdleStateHandler;
import io.trackedge.config.EdgeConfig;
import java.util.concurrent.TimeUnit;

/**
 * Builds the public pipeline and nothing else:
 * connection cap, idle timeout, the PROXY protocol header when configured ({@link ProxyProtocolHandler}),
 * HTTP request decoder with explicit limits and a request deadline
 * ({@link TimedRequestDecoder}), tracking handler.
 * There is no response encoder: every response is a prebuilt HTTP message ({@link Responses}).
 */
final class PublicChannelInitializer extends ChannelInitializer<SocketChannel> {

    private final EdgeConfig.Http http;
    private final ConnectionLimiter limiter;
    private final EdgeContext edge;
    private final ChannelGroup connections;

    PublicChannelInitializer(EdgeConfig.Http http, ConnectionLimiter limiter, EdgeContext edge, ChannelGroup connections) {
        this.http = http;
        this.limiter = limiter;
        this.edge = edge;
        this.connections = connections;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        connections.add(ch);
        ChannelPipeline p = ch.pipeline();
        p.addLast("limit", limiter);
        p.addLast("idle", new IdleStateHandler(0, 0, http.idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
        if (http.proxyProtocol()) {
            p.addLast("proxy-protocol", ProxyProtocolHandler.decoder());
            p.addLast("proxy-source", new ProxyProtocolHandler(edge.clientAddress, edge.metrics, http.requestTimeout()));
        }
        p.addLast("decoder", new TimedRequestDecoder(new HttpDecoderConfig()
                .setMaxInitialLineLength(http.maxUriBytes())
                .setMaxHeaderSize(http.maxHeaderBytes())
                .setMaxChunkSize(8192)
                .setValidateHeaders(true), http.requestTimeout()));
        p.addLast("tracking", new TrackingHandler(edge));
    }
}
