package io.trackedge.bench;

import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.journal.MutableEvent;
import io.trackedge.journal.RecordCodec;
import io.trackedge.sink.postgres.BinaryCopyEncoder;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encoding journal events as {@code email_events} rows for COPY, per row, in batches of
 * {@value #BATCH} as the sink sends them: {@link BinaryCopyEncoder} (what the sink sends) beside a
 * baseline that writes the same 17 columns in COPY's text format (what {@code psql \copy} and a
 * plain client send) with a {@link StringBuilder}, then UTF-8 bytes. The events are decoded journal
 * records of open and click pixels with the fields the edge records.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@State(Scope.Thread)
public class CopyEncodeBenchmark {

    static final int BATCH = 1000;

    private final EventRecord[] events = new EventRecord[BATCH];
    private final int edgeNo = 1;
    private final BinaryCopyEncoder binary = new BinaryCopyEncoder();
    private final StringBuilder text = new StringBuilder(1 << 20);

    @Setup
    public void setup() {
        Random random = new Random(7);
        UUID tenant = UUID.randomUUID();
        UUID user = UUID.randomUUID();
        MutableEvent e = new MutableEvent();
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        for (int i = 0; i < BATCH; i++) {
            int email = random.nextInt(100_000);
            EventType type = i % 10 < 7 ? EventType.OPEN : EventType.CLICK;
            long now = System.currentTimeMillis();
            e.reset(type, (now << 16) | 0x7000L | (i & 0xFFF), random.nextLong() | 0x8000000000000000L, now * 1000);
            byte[] block = FieldsCodec.encode(new EventFields(tenant, user, "campaign-" + (email % 50),
                    "mailbox-" + (email % 20), "email-" + email, "lead-" + email, "step-" + (email % 4), null));
            e.fields(block, 0, block.length);
            e.ip(new byte[] {(byte) 192, (byte) 168, (byte) (email >> 8), (byte) email}, 4);
            e.userAgent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36");
            if (type == EventType.CLICK) {
                byte[] u = ("https://example.com/landing/" + (email % 100) + "?utm_source=email").getBytes(StandardCharsets.US_ASCII);
                e.url(u, 0, u.length);
            }
            buf.clear();
            RecordCodec.encode(e, buf);
            events[i] = RecordCodec.decode(buf.array(), 0, buf.position());
        }
    }

    /** Our sink's encoding: header, {@value #BATCH} binary tuples, trailer. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int binaryCopy() {
        binary.reset();
        binary.header();
        for (EventRecord e : events) {
            binary.row(e, edgeNo);
        }
        binary.trailer();
        return binary.size();
    }

    /** Baseline: the same rows in COPY's text format, as a plain client would send them. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int textCopy() throws UnknownHostException {
        StringBuilder s = text;
        s.setLength(0);
        for (EventRecord e : events) {
            var f = e.fields();
            s.append(e.id()).append('\t').append(e.type().wireName()).append('\t')
                    .append(Instant.ofEpochSecond(0, e.occurredAtMicros() * 1000)).append('\t')
                    .append(f.tenant()).append('\t').append(f.user()).append('\t');
            field(s, f.campaign());
            field(s, f.mailbox());
            field(s, f.email());
            field(s, f.lead());
            field(s, f.step());
            field(s, InetAddress.getByAddress(e.ip()).getHostAddress());
            field(s, e.userAgent());
            field(s, e.url());
            s.append((e.flags() & EventRecord.FLAG_HEAD) != 0 ? 't' : 'f').append('\t');
            field(s, null);
            s.append("{}\t").append(edgeNo).append('\n');
        }
        return s.toString().getBytes(StandardCharsets.UTF_8).length;
    }

    /** One text-format column: \N for null, backslash, tab and newline escaped. */
    private static void field(StringBuilder s, String v) {
        if (v == null) {
            s.append("\\N\t");
            return;
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '\\' -> s.append("\\\\");
                case '\t' -> s.append("\\t");
                case '\n' -> s.append("\\n");
                default -> s.append(c);
            }
        }
        s.append('\t');
    }
}
