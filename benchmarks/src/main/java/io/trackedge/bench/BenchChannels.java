package io.trackedge.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.trackedge.http.Responses;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * What {@link PixelPipelineBenchmark} needs around an {@link EmbeddedChannel}: a channel with a real
 * peer address, the pixel request built once, and reading the responses out.
 */
final class BenchChannels {

    private static final InetSocketAddress PEER;

    static {
        try {
            PEER = new InetSocketAddress(InetAddress.getByAddress(new byte[] {(byte) 203, 0, 113, 7}), 40312);
        } catch (UnknownHostException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** An embedded channel whose peer is an IPv4 socket address, so the handler records an IP as in production. */
    static final class PeerChannel extends EmbeddedChannel {
        PeerChannel(ChannelHandler... handlers) {
            super(handlers);
        }

        @Override
        protected SocketAddress remoteAddress0() {
            return PEER;
        }
    }

    /** The request, built once; each operation feeds a retained duplicate (a recycled view, no copy). */
    static ByteBuf requestBuffer() {
        byte[] b = BenchFixtures.pixelRequest();
        return Unpooled.unreleasableBuffer(Unpooled.directBuffer(b.length).writeBytes(b));
    }

    /** Reads and releases every outbound message; returns the response bytes. */
    static int drain(EmbeddedChannel ch) {
        int bytes = 0;
        Object o;
        while ((o = ch.readOutbound()) != null) {
            if (o instanceof ByteBuf b) {
                bytes += b.readableBytes();
            }
            ReferenceCountUtil.release(o);
        }
        return bytes;
    }

    /** Sends one request outside measurement and checks the answer is a whole 200 with the GIF. */
    static int probe(EmbeddedChannel ch, ByteBuf request, boolean runTasks) {
        ch.writeInbound(request.retainedDuplicate());
        StringBuilder text = new StringBuilder();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (text.isEmpty() || !text.toString().endsWith(new String(Responses.GIF, StandardCharsets.ISO_8859_1))) {
            if (runTasks) {
                ch.runPendingTasks();
            }
            Object o;
            while ((o = ch.readOutbound()) != null) {
                text.append(((ByteBuf) o).toString(StandardCharsets.ISO_8859_1));
                ReferenceCountUtil.release(o);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no complete pixel response; got: " + text);
            }
        }
        if (!text.toString().startsWith("HTTP/1.1 200 OK\r\n") || text.toString().toLowerCase(Locale.ROOT).contains("connection: close")) {
            throw new IllegalStateException("unexpected response: " + text);
        }
        return text.length();
    }

    private BenchChannels() {
    }
}
