package io.trackedge.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.trackedge.config.EdgeConfig;
import io.trackedge.config.EnvNames;
import io.trackedge.metrics.EdgeMetrics;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two listeners: public (tracking) on its own event loops, admin (health, metrics) on one
 * small loop of its own so that a slow scrape never delays a pixel.
 */
public final class EdgeServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EdgeServer.class);

    private final EventLoopGroup publicLoops;
    private final EventLoopGroup adminLoop;
    private final Channel publicChannel;
    private final Channel adminChannel;
    private final ConnectionLimiter limiter;
    private final ChannelGroup connections;

    private EdgeServer(EventLoopGroup publicLoops, EventLoopGroup adminLoop, Channel publicChannel,
                       Channel adminChannel, ConnectionLimiter limiter, ChannelGroup connections) {
        this.publicLoops = publicLoops;
        this.adminLoop = adminLoop;
        this.publicChannel = publicChannel;
        this.adminChannel = adminChannel;
        this.limiter = limiter;
        this.connections = connections;
    }

    /**
     * Event loops used when the configuration says 0: one per core. Measured on 2 cores with the
     * load generator on the same box, two loops served 20 to 40 % more requests than one at the
     * same CPU per request (docs/benchmarks.md); the journal appender sleeps between read batches,
     * so it does not need a core of its own.
     */
    public static int defaultEventLoops() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /** Binds, or fails with a message naming the address and the setting that chose it (a port in use, say). */
    private static Channel listen(ServerBootstrap b, String host, int port, String setting) throws InterruptedException {
        io.netty.channel.ChannelFuture f = b.bind(new InetSocketAddress(host, port)).await();
        if (!f.isSuccess()) {
            Throwable c = f.cause();
            throw new CannotListenException("cannot listen on " + host + ":" + port + " (" + setting + "): "
                    + (c.getMessage() == null ? c.toString() : c.getMessage()), c);
        }
        return f.channel();
    }

    public static EdgeServer start(EdgeConfig.Http http, EdgeConfig.Admin admin, EdgeContext edge,
                                   EdgeMetrics metrics, Readiness readiness) throws InterruptedException {
        return start(http, admin, edge, metrics, readiness, null);
    }

    /** @param dashboard the dashboard pages for the admin listener, or null for none */
    public static EdgeServer start(EdgeConfig.Http http, EdgeConfig.Admin admin, EdgeContext edge,
                                   EdgeMetrics metrics, Readiness readiness, io.trackedge.dashboard.Dashboard dashboard)
            throws InterruptedException {
        Transport transport = Transport.best();
        int loops = http.eventLoops() == 0 ? defaultEventLoops() : http.eventLoops();
        EventLoopGroup publicLoops = transport.group(loops, "edge-http");
        EventLoopGroup adminLoop = transport.group(1, "edge-admin");
        try {
            List<EventExecutor> executors = new ArrayList<>();
            publicLoops.forEach(executors::add);
            edge.bind(executors);
            ConnectionLimiter limiter = new ConnectionLimiter(http.maxConnections(), edge.responses, metrics);
            ChannelGroup connections = new DefaultChannelGroup("edge-connections", GlobalEventExecutor.INSTANCE);
            Channel pub = listen(new ServerBootstrap()
                    .group(publicLoops)
                    .channel(transport.serverChannel())
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    // A client that sends its request and shuts its side (printf | nc, some monitors) still
                    // gets the answer held for the journal: the connection closes once it is out (TrackingHandler).
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childHandler(new PublicChannelInitializer(http, limiter, edge, connections)),
                    http.bind(), http.port(), EnvNames.describe("edge.http.port"));
            Channel adm = listen(new ServerBootstrap()
                    .group(adminLoop)
                    .channel(transport.serverChannel())
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new IdleStateHandler(0, 0, http.idleTimeout().toMillis(), TimeUnit.MILLISECONDS))
                                    .addLast(new AdminProxyHeader())
                                    .addLast(new HttpServerCodec(4096, 8192, 8192))
                                    .addLast(new HttpObjectAggregator(16 * 1024))
                                    .addLast(new AdminHandler(metrics, readiness, dashboard));
                        }
                    }),
                    admin.bind(), admin.port(), EnvNames.describe("edge.admin.port"));
            publicLoops.next().scheduleAtFixedRate(() -> edge.responses.refresh(Instant.now(), executors), 1, 1, TimeUnit.SECONDS);
            metrics.gauge("edge_connections_open", "Open connections on the public listener", limiter::open);
            log.info("public listener on {} ({} event loop{}, {}), admin on {}", pub.localAddress(), loops,
                    loops == 1 ? "" : "s", transport.name(), adm.localAddress());
            return new EdgeServer(publicLoops, adminLoop, pub, adm, limiter, connections);
        } catch (RuntimeException | InterruptedException e) {
            publicLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            adminLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    public int port() {
        return ((InetSocketAddress) publicChannel.localAddress()).getPort();
    }

    public int adminPort() {
        return ((InetSocketAddress) adminChannel.localAddress()).getPort();
    }

    public int openConnections() {
        return limiter.open();
    }

    /**
     * Closes the public listening socket: no new connections; open ones are served to the end. Waits
     * for the close up to {@code limit} (a loop stuck in a task never runs it).
     */
    public void stopAccepting(Duration limit) {
        if (!publicChannel.close().awaitUninterruptibly(limit.toNanos(), TimeUnit.NANOSECONDS)) {
            log.warn("the public listener did not close within {} ms; the stop goes on", limit.toMillis());
        }
    }

    /**
     * Stops reading requests on every open connection, and returns once every event loop has
     * finished what it was doing, or at {@code limit} ({@link #awaitLoops}): from then on, every
     * request that was read has been handled (its event published, its response written or held for
     * acknowledgement), unless a loop is still stuck in one.
     */
    public boolean pauseReading(Duration limit) {
        for (Channel c : connections) {
            c.config().setAutoRead(false);
        }
        return awaitLoops(limit);
    }

    /**
     * Returns once every public event loop has run the tasks queued on it before this call, or at
     * {@code limit}, logging the loops still busy and where.
     *
     * @return false when a loop was still busy at the limit
     */
    public boolean awaitLoops(Duration limit) {
        List<String> busy = LoopsCaughtUp.await(publicLoops, limit);
        if (!busy.isEmpty()) {
            log.warn("{} event loop{} still running a task after {} ms; the stop goes on without waiting for {}: {}",
                    busy.size(), busy.size() == 1 ? "" : "s", limit.toMillis(), busy.size() == 1 ? "it" : "them",
                    String.join("; ", busy));
        }
        return busy.isEmpty();
    }

    /**
     * Stops both listeners and their loops, letting queued work finish within {@code grace}, and returns
     * by then: a loop stuck in a task is left to the process's exit.
     */
    public void close(Duration grace) {
        long deadline = System.nanoTime() + grace.toNanos();
        long ms = Math.max(1, grace.toMillis());
        List<Future<?>> closing = List.of(publicChannel.close(), adminChannel.close(),
                publicLoops.shutdownGracefully(Math.min(100, ms), ms, TimeUnit.MILLISECONDS),
                adminLoop.shutdownGracefully(0, ms, TimeUnit.MILLISECONDS));
        for (Future<?> f : closing) {
            if (!f.awaitUninterruptibly(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                log.warn("the listeners' event loops did not stop within {} ms; left to the process's exit", ms);
                return;
            }
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(2));
    }
}
