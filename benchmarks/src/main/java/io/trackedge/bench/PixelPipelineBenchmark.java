package io.trackedge.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.trackedge.config.AckMode;
import io.trackedge.config.ConfigLoader;
import io.trackedge.config.EdgeConfig;
import io.trackedge.config.RingFullPolicy;
import io.trackedge.http.ClientAddress;
import io.trackedge.http.EdgeContext;
import io.trackedge.http.Responses;
import io.trackedge.http.TrackingHandler;
import io.trackedge.metrics.EdgeMetrics;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One keep-alive {@code GET /o/<token>.gif} through a pipeline on an {@link EmbeddedChannel}: the
 * request bytes go in as one {@code ByteBuf}, the response bytes are read out and released.
 *
 * <ul>
 *   <li>{@code oursAckMemory}: the public pipeline's decoder (limits as {@code PublicChannelInitializer}
 *       sets them from the default config) and {@link TrackingHandler} with a real {@link EdgeContext}:
 *       token verified, event published to the ring, journal appender writing to a temp directory on
 *       its own thread, prebuilt response written. Run with the appender's {@code blocking} wait
 *       strategy (the default) and with {@code sleeping}, to show what waking the appender costs.</li>
 *   <li>{@code oursAckMemoryIdle}: the same plus the {@link IdleStateHandler} the production pipeline
 *       has in front of the decoder (the connection limiter does nothing per request, so it is left out).</li>
 *   <li>{@code oursAckJournal}: {@code ack = journal}: the response is held until the appender thread has
 *       written the event and the gate's task, queued on the channel's loop, is run by
 *       {@code runPendingTasks()}. This is a round trip through the appender thread (a wake-up and a
 *       {@code write} per request, since batches are one event long here), not a throughput figure.
 *       Caveat: {@code EmbeddedEventLoop}'s task queue is a plain {@code ArrayDeque}; the appender thread
 *       adds at most one task per request while this thread polls, which works on x86 but is not a
 *       happens-before hand-off the JMM promises.</li>
 *   <li>{@code baselineNetty}: plain Netty as in its hello-world example: {@link HttpServerCodec} and a
 *       handler ({@link HelloGifHandler}) answering every request with a full response whose content is a duplicate
 *       of a static unreleasable buffer holding the same 43-byte GIF, with the same header set as ours.
 *       No token, no event: the floor of a Netty HTTP answer.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class PixelPipelineBenchmark {

    // ---------------------------------------------------------------- ours

    /** The public pipeline of the edge, as far as it touches a request. */
    public abstract static class Ours {
        BenchJournal journal;
        Responses responses;
        EmbeddedChannel channel;
        ByteBuf request;
        long requests;
        String name;

        void open(String name, AckMode mode, boolean idleHandler) {
            open(name, mode, idleHandler, "inline");
        }

        void open(String name, AckMode mode, boolean idleHandler, String waitStrategy) {
            this.name = name;
            EdgeConfig.Http http = ConfigLoader.load(null, Map.of()).http();
            journal = new BenchJournal(mode, waitStrategy);
            responses = new Responses();
            EdgeContext edge = new EdgeContext(journal.ring, responses, new EdgeMetrics(), mode, RingFullPolicy.SHED,
                    new ClientAddress(List.of()), BenchFixtures.KEYS);
            // As PublicChannelInitializer builds its decoder (keep in step with it).
            HttpRequestDecoder decoder = new HttpRequestDecoder(new HttpDecoderConfig()
                    .setMaxInitialLineLength(http.maxUriBytes())
                    .setMaxHeaderSize(http.maxHeaderBytes())
                    .setMaxChunkSize(8192)
                    .setValidateHeaders(true));
            channel = idleHandler
                    ? new BenchChannels.PeerChannel(new IdleStateHandler(0, 0, http.idleTimeout().toMillis(), TimeUnit.MILLISECONDS),
                            decoder, new TrackingHandler(edge))
                    : new BenchChannels.PeerChannel(decoder, new TrackingHandler(edge));
            request = BenchChannels.requestBuffer();
            int size = BenchChannels.probe(channel, request, mode != AckMode.MEMORY);
            journal.awaitHandled(0);
            System.out.printf("%n[%s] response %d bytes, request %d bytes%n", name, size, request.readableBytes());
        }

        void close() throws Exception {
            channel.finishAndReleaseAll();
            journal.close();
            responses.release();
            System.out.println(journal.report(name, requests + 1));
        }
    }

    @State(Scope.Thread)
    public static class OursMemory extends Ours {
        /**
         * The appender's wait strategy. With {@code inline} (the default) the embedded loop writes
         * its read batch to the journal itself, from a task it runs after the read; with
         * {@code batched} that task wakes the appender thread instead; with
         * {@code blocking} a publish that finds the appender asleep pays for waking it; {@code sleeping}
         * trades that for the appender polling.
         */
        @Param({"inline", "batched", "blocking", "sleeping"})
        public String waitStrategy;

        @Setup(Level.Trial)
        public void setup() {
            open("oursAckMemory/" + waitStrategy, AckMode.MEMORY, false, waitStrategy);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            close();
        }
    }

    @State(Scope.Thread)
    public static class OursMemoryIdle extends Ours {
        @Setup(Level.Trial)
        public void setup() {
            open("oursAckMemoryIdle", AckMode.MEMORY, true);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            close();
        }
    }

    @State(Scope.Thread)
    public static class OursJournal extends Ours {
        @Setup(Level.Trial)
        public void setup() {
            open("oursAckJournal", AckMode.JOURNAL, false);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            close();
        }
    }

    @Benchmark
    public int oursAckMemory(OursMemory s) {
        s.requests++;
        s.channel.writeInbound(s.request.retainedDuplicate());
        return BenchChannels.drain(s.channel);
    }

    @Benchmark
    public int oursAckMemoryIdle(OursMemoryIdle s) {
        s.requests++;
        s.channel.writeInbound(s.request.retainedDuplicate());
        return BenchChannels.drain(s.channel);
    }

    @Benchmark
    public int oursAckJournal(OursJournal s) {
        s.requests++;
        EmbeddedChannel ch = s.channel;
        ch.writeInbound(s.request.retainedDuplicate());
        int spins = 0;
        long since = 0;
        Object o;
        while ((o = ch.readOutbound()) == null) {
            ch.runPendingTasks();
            if ((++spins & 0xFFFF) == 0) {
                if (since == 0) {
                    since = System.nanoTime();
                } else if (System.nanoTime() - since > TimeUnit.SECONDS.toNanos(10)) {
                    throw new IllegalStateException("response not released by the ack gate within 10 s");
                }
            }
            Thread.onSpinWait();
        }
        int bytes = ((ByteBuf) o).readableBytes();
        ReferenceCountUtil.release(o);
        return bytes + BenchChannels.drain(ch);
    }

    // ---------------------------------------------------------------- plain Netty

    @State(Scope.Thread)
    public static class Baseline {
        EmbeddedChannel channel;
        ByteBuf request;

        @Setup(Level.Trial)
        public void setup() {
            channel = new BenchChannels.PeerChannel(new HttpServerCodec(), new HelloGifHandler());
            request = BenchChannels.requestBuffer();
            int size = BenchChannels.probe(channel, request, false);
            System.out.printf("%n[baselineNetty] response %d bytes, request %d bytes%n", size, request.readableBytes());
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            channel.finishAndReleaseAll();
        }
    }

    @Benchmark
    public int baselineNetty(Baseline s) {
        s.channel.writeInbound(s.request.retainedDuplicate());
        return BenchChannels.drain(s.channel);
    }
}
