package io.trackedge.bench;

import io.trackedge.config.EdgeConfig;
import io.trackedge.http.AddressRateLimit;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What {@code edge.http.rate-limit} adds to an open or a click: {@link AddressRateLimit#allow} for an
 * address within its allowance (one address; 50,000 addresses in turn, in the default table of 65,536),
 * the same from two threads on one address (both event loops on one lock), and for an address over its
 * limit (the refusal, with an exemption that says no). For scale, {@code TokenVerifyBenchmark} is what
 * every open already pays.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@State(Scope.Benchmark)
public class RateLimitBenchmark {

    private static final int ADDRESSES = 50_000;

    private AddressRateLimit allowing;
    private AddressRateLimit refusing;
    private byte[][] addresses;
    private final byte[] one = {(byte) 203, 0, 113, 7};

    @Setup
    public void setup() {
        allowing = new AddressRateLimit(new EdgeConfig.RateLimit(10_000_000, 10_000_000, 65_536, List.of(), false), (a, n) -> false);
        refusing = new AddressRateLimit(new EdgeConfig.RateLimit(1, 1, 65_536, List.of(), false), (a, n) -> false);
        addresses = new byte[ADDRESSES][];
        for (int i = 0; i < ADDRESSES; i++) {
            addresses[i] = new byte[] {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i};
        }
        refusing.allow(one, 4); // spends the burst of 1
    }

    /** Per thread: which of the many addresses comes next. */
    @State(Scope.Thread)
    public static class Cursor {
        int next;
    }

    @Benchmark
    public boolean oneAddress() {
        return allowing.allow(one, 4);
    }

    @Benchmark
    public boolean manyAddresses(Cursor c) {
        byte[] a = addresses[c.next];
        c.next = c.next + 1 == ADDRESSES ? 0 : c.next + 1;
        return allowing.allow(a, 4);
    }

    @Benchmark
    @Threads(2)
    public boolean oneAddressTwoThreads() {
        return allowing.allow(one, 4);
    }

    @Benchmark
    public boolean overTheLimit() {
        return refusing.allow(one, 4);
    }
}
