package io.trackedge.testing;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts what a fuzz target did with its inputs, for the hostile results table. In regression
 * mode (a plain {@code make test}) the inputs are the committed corpus; with {@code JAZZER_FUZZ}
 * set they are the fuzzer's, and the class is reported separately (suffix {@code -fuzzing}).
 */
public final class FuzzTally {

    private final String hostileClass;
    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

    public FuzzTally(String target, String suite, String description) {
        this.hostileClass = "fuzz-" + target + (fuzzing() ? "-fuzzing" : "");
        HostileReport.begin(hostileClass, suite, description + (fuzzing()
                ? " (coverage-guided fuzzing, Jazzer)" : " (regression: the committed seed corpus)"));
    }

    /** True when Jazzer runs in fuzzing mode rather than over the corpus. */
    public static boolean fuzzing() {
        String v = System.getenv("JAZZER_FUZZ");
        return v != null && !v.isEmpty() && !v.equals("0") && !v.equalsIgnoreCase("false");
    }

    public void count(String outcome) {
        counts.computeIfAbsent(outcome, k -> new LongAdder()).increment();
    }

    /** Adds the counts to the report and writes it. */
    public void write(String suite) {
        for (Map.Entry<String, LongAdder> e : new TreeMap<>(counts).entrySet()) {
            HostileReport.add(hostileClass, e.getKey(), e.getValue().sum());
        }
        HostileReport.write(suite);
    }
}
