package io.trackedge.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.Iterator;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Finding a pixel request's one {@code X-Forwarded-For} line among a balancer's usual headers:
 * {@code getAll}'s list, as {@code RingPublisher.clientAddress} does, against a value iterator asked
 * first. Run with {@code -prof gc}: on 2026-12-07 neither allocated (C2 removes the list), and the two
 * took the same time within the error, so the edge keeps {@code getAll} (docs/benchmarks.md).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
@State(Scope.Thread)
public class ForwardedForLineBenchmark {

    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");

    private HttpHeaders headers;

    @Setup
    public void setup() {
        headers = new DefaultHttpHeaders();
        headers.add("Host", "t.example.com");
        headers.add("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)");
        headers.add("Accept", "image/avif,image/webp,*/*");
        headers.add("X-Forwarded-For", "203.0.113.77");
        headers.add("X-Forwarded-Proto", "https");
        headers.add("X-Forwarded-Port", "443");
        headers.add("X-Amzn-Trace-Id", "Root=1-67891233-abcdef012345678912345678");
    }

    @Benchmark
    public String getAll() {
        List<String> lines = headers.getAll(X_FORWARDED_FOR);
        return lines.isEmpty() ? null : lines.size() == 1 ? lines.get(0) : String.join(",", lines);
    }

    @Benchmark
    public String iterator() {
        Iterator<String> lines = headers.valueStringIterator(X_FORWARDED_FOR);
        if (!lines.hasNext()) {
            return null;
        }
        String xff = lines.next();
        return lines.hasNext() ? String.join(",", headers.getAll(X_FORWARDED_FOR)) : xff;
    }
}
