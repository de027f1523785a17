package io.trackedge.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public listener's request decoder, with a deadline ({@code edge.http.request-timeout}): a
 * request must arrive whole, from its first byte to its last (headers and body), within the
 * timeout, or it is answered 408 and the connection is closed ({@link TrackingHandler#requestTimedOut}).
 * Time between requests does not count; the idle timeout governs that.
 *
 * <p>The clock starts when the decoder is handed the first byte of a request and stops when it
 * emits the request's last content, or a failure. Bytes left over after a request in the same
 * read start the next request's clock at once, so a pipelined request cannot borrow time from an
 * earlier one. Empty lines before a request count as its bytes too: the decoder skips them, but a
 * client sending one every few seconds would otherwise hold a connection open forever, since
 * they also keep it from going idle.
 *
 * <p>Nothing is allocated per request: one check per connection is scheduled at a time, only
 * while a request is arriving, and re-armed for the time left when it fires before the deadline
 * of the request then arriving. A stream of quick keep-alive requests schedules about one check
 * per timeout period, not one per request.
 */
final class TimedRequestDecoder extends HttpRequestDecoder implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(TimedRequestDecoder.class);

    private final long timeoutNanos;
    private ChannelHandlerContext ctx;
    /** A request's first byte has been decoded and its last not yet. */
    private boolean arriving;
    /** {@link System#nanoTime} of that first byte. */
    private long start;
    private ScheduledFuture<?> check;

    TimedRequestDecoder(HttpDecoderConfig config, Duration timeout) {
        super(config);
        this.timeoutNanos = timeout.toNanos();
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (!arriving && in.isReadable()) {
            arriving = true;
            start = System.nanoTime();
            if (check == null && ctx.channel().isActive()) { // not for what is decoded as the channel closes
                this.ctx = ctx;
                check = ctx.executor().schedule(this, timeoutNanos, TimeUnit.NANOSECONDS);
            }
        }
        int before = out.size();
        super.decode(ctx, in, out);
        for (int i = before; i < out.size(); i++) {
            Object m = out.get(i);
            if (m instanceof io.netty.handler.codec.http.HttpRequest r && r.decoderResult().isSuccess()) {
                r.setUri(originForm(r.uri()));
            }
            if (m instanceof LastHttpContent || m instanceof HttpObject o && o.decoderResult().isFailure()) {
                arriving = false;
            }
        }
    }

    /**
     * A target in absolute form ({@code GET http://t.example/o/x.gif}, which RFC 9112 has servers
     * accept and some proxies and scanners send) as its path and query; any other target as it is.
     * The authority is not used: the edge answers for whatever host it is reached under.
     */
    static String originForm(String uri) {
        int from = uri.regionMatches(true, 0, "http://", 0, 7) ? 7 : uri.regionMatches(true, 0, "https://", 0, 8) ? 8 : -1;
        if (from < 0) {
            return uri;
        }
        int slash = uri.indexOf('/', from);
        int query = uri.indexOf('?', from);
        if (slash < 0 || query >= 0 && query < slash) {
            return query < 0 ? "/" : "/" + uri.substring(query);
        }
        return uri.substring(slash);
    }

    /** True from a request's first byte until its last: a request is arriving, not yet whole. */
    boolean arriving() {
        return arriving;
    }

    /** The scheduled check, on the connection's event loop. */
    @Override
    public void run() {
        check = null;
        if (!arriving || !ctx.channel().isActive()) {
            return; // the next request's first byte arms a new check
        }
        long left = timeoutNanos - (System.nanoTime() - start);
        if (!ctx.channel().config().isAutoRead()) {
            // The edge stopped reading (an ingest request is processed, or it is draining): the
            // client cannot be late while nothing is read. Its clock starts again.
            start = System.nanoTime();
            left = timeoutNanos;
        } else if (left <= 0) {
            TrackingHandler tracking = ctx.pipeline().get(TrackingHandler.class);
            if (tracking == null) {
                log.warn("closing {} from {}: a request timed out with no handler to answer it", ctx.channel().id(),
                        ctx.channel().remoteAddress());
                ctx.close();
                return;
            }
            if (tracking.requestTimedOut()) {
                arriving = false;
                return;
            }
            left = timeoutNanos;
        }
        check = ctx.executor().schedule(this, left, TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.handlerRemoved0(ctx);
    }

    private void cancel() {
        if (check != null) {
            check.cancel(false);
            check = null;
        }
    }
}
