package io.trackedge.bench;

import io.trackedge.classify.BatchClassifier;
import io.trackedge.classify.ClassifierSettings;
import io.trackedge.classify.ListSource;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
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
 * {@link BatchClassifier#classify} per event, batches of {@value #BATCH} opens and clicks (with their
 * delivered events) over 50,000 emails:
 *
 * <pre>
 *   warm: 40 distinct User-Agents (people, proxies, Apple Mail, libraries), all cached after the first batch
 *   cold: every event a User-Agent not seen for 65,536 events, past the 10,000-entry cache: each one is parsed
 *         (mail proxies, library and headless tokens, ~1,450 crawler literals, one alternation regex)
 * </pre>
 *
 * Per event: divide the score by nothing (ops per invocation = {@value #BATCH}); bytes per event is
 * {@code gc.alloc.rate.norm} under {@code -prof gc}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@State(Scope.Thread)
public class ClassifyBenchmark {

    static final int BATCH = 256;
    private static final int POOL = 65_536;
    private static final UUID TENANT = UUID.fromString("0193a6f0-0000-7000-8000-00000000be0c");

    private static final String[] UAS = {
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)",
        "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
        "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html",
        "Mozilla/5.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.5993.88 Safari/537.36",
        "python-requests/2.31.0",
    };

    private List<List<EventRecord>> warmBatches;
    private List<List<EventRecord>> coldBatches;
    private BatchClassifier warm;
    private BatchClassifier cold;
    private int warmNext;
    private int coldNext;

    @Setup
    public void setup() throws UnknownHostException {
        SplittableRandom rnd = new SplittableRandom(13);
        warmBatches = batches(rnd, false);
        coldBatches = batches(rnd, true);
        ListSource lists = ListSource.snapshot();
        warm = new BatchClassifier(ClassifierSettings.DEFAULTS, lists);
        cold = new BatchClassifier(ClassifierSettings.DEFAULTS, lists);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public BatchClassifier.Result warmUserAgentCache() {
        List<EventRecord> b = warmBatches.get(warmNext);
        warmNext = (warmNext + 1) % warmBatches.size();
        return warm.classify(b);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public BatchClassifier.Result coldUserAgentCache() {
        List<EventRecord> b = coldBatches.get(coldNext);
        coldNext = (coldNext + 1) % coldBatches.size();
        return cold.classify(b);
    }

    private static List<List<EventRecord>> batches(SplittableRandom rnd, boolean uniqueUas) throws UnknownHostException {
        byte[][] ips = {
            InetAddress.getByName("203.0.113.7").getAddress(),
            InetAddress.getByName("104.28.28.9").getAddress(),
            InetAddress.getByName("205.139.110.20").getAddress(),
            InetAddress.getByName("2001:db8::5").getAddress(),
        };
        List<List<EventRecord>> out = new ArrayList<>();
        List<EventRecord> cur = new ArrayList<>(BATCH);
        for (int i = 0; i < POOL; i++) {
            String email = "email-" + rnd.nextInt(50_000);
            EventType type = switch (rnd.nextInt(8)) {
                case 0 -> EventType.DELIVERED;
                case 1, 2 -> EventType.CLICK;
                default -> EventType.OPEN;
            };
            String ua = UAS[rnd.nextInt(UAS.length)];
            if (uniqueUas) {
                ua = ua + " r" + i;
            } else if (rnd.nextInt(4) == 0) {
                ua = ua.replace("120.0.0.0", (100 + rnd.nextInt(30)) + ".0.0.0");
            }
            long at = 1_764_547_200_000_000L + i * 50_000L;
            cur.add(new EventRecord(new UUID(at, i), type, 0, at, ips[rnd.nextInt(ips.length)], ua,
                    new EventFields(TENANT, TENANT, "campaign", "mailbox", email, null, null, null),
                    type == EventType.CLICK ? "https://example.com/" + rnd.nextInt(3) : null, Map.of()));
            if (cur.size() == BATCH) {
                out.add(List.copyOf(cur));
                cur.clear();
            }
        }
        return out;
    }
}
