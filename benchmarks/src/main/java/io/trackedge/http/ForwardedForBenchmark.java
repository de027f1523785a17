package io.trackedge.http;

import io.trackedge.config.Cidr;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link ClientAddress#fromForwardedFor}: the client address read from a trusted balancer's
 * {@code X-Forwarded-For}, as every pixel behind one pays. In this package because the method is
 * the edge's own, not public.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
@State(Scope.Thread)
public class ForwardedForBenchmark {

    /** One client; a client behind a proxy of ours; an IPv6 client. */
    @Param({"203.0.113.77", "198.51.100.23, 10.0.4.18", "2001:db9:4:7::12"})
    public String header;

    private final byte[] out = new byte[16];
    private ClientAddress addresses;

    @Setup
    public void setup() {
        addresses = new ClientAddress(List.of(Cidr.parse("10.0.0.0/8")));
        if (addresses.fromForwardedFor(header, out) == 0) {
            throw new IllegalStateException("no client in " + header);
        }
    }

    @Benchmark
    public int read() {
        return addresses.fromForwardedFor(header, out);
    }
}
