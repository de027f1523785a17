package io.trackedge.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.trackedge.sink.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.LoggerFactory;

/**
 * Watches, through Logback appenders, for what must never happen while hostile input is served:
 *
 * <ul>
 *   <li>a buffer leak: Netty's {@code ResourceLeakDetector} (at {@code paranoid} in tests: every
 *       buffer is tracked) logs {@code LEAK:} when a buffer is collected unreleased;</li>
 *   <li>an exception out of a handler: it reaches {@code TrackingHandler.exceptionCaught}, which
 *       logs it at debug, or the pipeline's tail, which warns; resets and writes to closed sockets
 *       (the client hung up) are expected and not counted;</li>
 *   <li>an error logged by the edge.</li>
 * </ul>
 *
 * {@link #assertClean} runs the garbage collector and allocates, which makes the detector report
 * what it found. The first watch in a JVM proves the detector is live by leaking one buffer on
 * purpose and waiting for its report.
 */
public final class LeakWatch implements AutoCloseable {

    private static final String LEAK_LOGGER = "io.netty.util.ResourceLeakDetector";
    private static final String PIPELINE_LOGGER = "io.netty.channel.DefaultChannelPipeline";
    private static final String HANDLER_LOGGER = "io.trackedge.http.TrackingHandler";
    private static final String EDGE_LOGGER = "io.trackedge";
    private static boolean detectorProven;

    private final Capture capture = new Capture();
    private final Level handlerLevel;

    private static final class Capture extends AppenderBase<ILoggingEvent> {
        final ConcurrentLinkedQueue<ILoggingEvent> events = new ConcurrentLinkedQueue<>();

        @Override
        protected void append(ILoggingEvent e) {
            events.add(e);
        }
    }

    private LeakWatch() {
        capture.setName("hostile-leak-watch");
        capture.setContext((ch.qos.logback.classic.LoggerContext) LoggerFactory.getILoggerFactory());
        capture.start();
        logger(LEAK_LOGGER).addAppender(capture);
        logger(PIPELINE_LOGGER).addAppender(capture);
        logger(EDGE_LOGGER).addAppender(capture);
        Logger handler = logger(HANDLER_LOGGER);
        handlerLevel = handler.getLevel();
        handler.setLevel(Level.DEBUG);
    }

    private static Logger logger(String name) {
        return (Logger) LoggerFactory.getLogger(name);
    }

    /** Starts watching; proves the leak detector works the first time in a JVM. */
    public static LeakWatch start() throws InterruptedException {
        LeakWatch w = new LeakWatch();
        synchronized (LeakWatch.class) {
            if (!detectorProven) {
                leakOneBuffer();
                if (!w.collectUntil(() -> !w.leaks().isEmpty(), 20_000)) {
                    w.close();
                    throw new AssertionError("the leak detector reported nothing for a buffer leaked on purpose;"
                            + " is -Dio.netty.leakDetection.level=paranoid set?");
                }
                detectorProven = true;
                w.capture.events.clear();
            }
        }
        return w;
    }

    private static void leakOneBuffer() {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(16);
        b.writeLong(42);
        // dropped without release
    }

    /** Leak reports logged since the watch started. */
    public List<String> leaks() {
        List<String> out = new ArrayList<>();
        for (ILoggingEvent e : capture.events) {
            if (e.getLoggerName().equals(LEAK_LOGGER) && e.getFormattedMessage().contains("LEAK")) {
                out.add(e.getFormattedMessage());
            }
        }
        return out;
    }

    /** Exceptions out of handlers, other than the peer hanging up, and errors the edge logged. */
    public List<String> handlerFailures() {
        List<String> out = new ArrayList<>();
        for (ILoggingEvent e : capture.events) {
            String m = e.getFormattedMessage();
            if (e.getLoggerName().equals(PIPELINE_LOGGER) && e.getLevel().isGreaterOrEqual(Level.WARN)) {
                out.add(m + (e.getThrowableProxy() == null ? "" : ": " + e.getThrowableProxy().getClassName()));
            } else if (e.getLoggerName().equals(HANDLER_LOGGER) && m.startsWith("closing ") && !peerHungUp(m)) {
                out.add(m);
            } else if (e.getLoggerName().startsWith(EDGE_LOGGER) && e.getLevel().isGreaterOrEqual(Level.ERROR)) {
                out.add(e.getLoggerName() + ": " + m);
            }
        }
        return out;
    }

    private static boolean peerHungUp(String m) {
        return m.contains("Connection reset") || m.contains("Broken pipe") || m.contains("ClosedChannelException")
                || m.contains("NativeIoException");
    }

    /** Collects garbage and allocates until the detector has reported what it found, then asserts nothing. */
    public void assertClean() throws InterruptedException {
        // No leak can only be seen as none reported over a while: a bounded sweep, ended early by a leak.
        collectUntil(() -> !leaks().isEmpty() || !handlerFailures().isEmpty(), 1500);
        List<String> leaks = leaks();
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " buffer leak(s):\n" + String.join("\n\n", leaks));
        }
        List<String> failures = handlerFailures();
        if (!failures.isEmpty()) {
            throw new AssertionError("exceptions out of handlers:\n" + String.join("\n", failures));
        }
    }

    private boolean collectUntil(java.util.function.BooleanSupplier done, long millis) {
        return Await.within(Duration.ofMillis(millis), () -> {
            System.gc();
            for (int i = 0; i < 200; i++) {
                // Each tracked allocation polls the detector's queue of collected, unreleased buffers.
                PooledByteBufAllocator.DEFAULT.directBuffer(64).release();
                Unpooled.buffer(64).release();
            }
            return done.getAsBoolean();
        });
    }

    @Override
    public void close() {
        logger(LEAK_LOGGER).detachAppender(capture);
        logger(PIPELINE_LOGGER).detachAppender(capture);
        logger(EDGE_LOGGER).detachAppender(capture);
        logger(HANDLER_LOGGER).setLevel(handlerLevel);
        capture.stop();
    }
}
