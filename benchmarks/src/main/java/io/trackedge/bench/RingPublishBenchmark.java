package io.trackedge.bench;

import io.trackedge.config.AckMode;
import io.trackedge.journal.EventType;
import io.trackedge.ring.AckListeners;
import io.trackedge.ring.EventIds;
import io.trackedge.ring.EventRing;
import io.trackedge.ring.RingEvent;
import io.trackedge.token.TokenVerifier;
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
 * Claim, fill and publish one open event through {@link EventRing}, from one producer thread, with
 * the journal appender writing to a temp directory under {@code ack = memory} (no listener). The
 * slot is filled as {@code TrackingHandler} fills it: id and time, peer IP, user agent, the verified
 * token's field block. When the ring is full the producer spins until a slot frees (counted and
 * printed at the end as {@code opsThatFoundRingFull}, with the share of the run spent waiting), so
 * the score is the producer's cost while the appender keeps up, and the appender's pace when it does not.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@State(Scope.Thread)
public class RingPublishBenchmark {

    private static final String USER_AGENT =
            "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)";

    /** The appender's wait strategy; blocking is the default of reference.conf. */
    @Param({"blocking", "sleeping"})
    public String waitStrategy;

    private BenchJournal journal;
    private EventRing ring;
    private final byte[] ip = {(byte) 203, 0, 113, 7};
    private byte[] token;
    private int fieldsOffset;
    private int fieldsLength;
    private long published;
    private long fullSpins;
    private long fullWaits;
    private long waitNanos;
    private long trialStart;

    @Setup(Level.Trial)
    public void setup() {
        TokenVerifier v = new TokenVerifier(BenchFixtures.KEYS);
        String t = BenchFixtures.OPEN_TOKEN;
        if (v.verify(t, 0, t.length(), new byte[0], 0) != TokenVerifier.OK) {
            throw new IllegalStateException("fixture token does not verify");
        }
        token = v.bytes().clone();
        fieldsOffset = v.fieldsOffset();
        fieldsLength = v.fieldsLength();
        journal = new BenchJournal(AckMode.MEMORY, waitStrategy);
        ring = journal.ring;
        trialStart = System.nanoTime();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        long trialNanos = System.nanoTime() - trialStart;
        journal.close();
        System.out.println(journal.report("claimFillPublish/" + waitStrategy, published)
                + " opsThatFoundRingFull=" + fullWaits + " spinsOnFullRing=" + fullSpins
                + String.format(" waitingForFreeSlot=%.1f%% of %.1f s (warmup and measurement)", 100.0 * waitNanos / trialNanos, trialNanos / 1e9));
    }

    @Benchmark
    public long claimFillPublish() {
        long sequence;
        if ((sequence = ring.tryClaim()) < 0) {
            fullWaits++;
            long t0 = System.nanoTime();
            while ((sequence = ring.tryClaim()) < 0) {
                fullSpins++;
                Thread.onSpinWait();
            }
            waitNanos += System.nanoTime() - t0;
        }
        RingEvent e = ring.slot(sequence);
        try {
            long now = System.currentTimeMillis();
            e.reset(EventType.OPEN, EventIds.msb(now), EventIds.lsb(), now * 1000);
            e.ip(ip, 4);
            e.userAgent(USER_AGENT);
            e.fields(token, fieldsOffset, fieldsLength);
            e.flags(0);
            e.listener(AckListeners.NONE);
        } finally {
            ring.publish(sequence);
        }
        published++;
        return sequence;
    }
}
