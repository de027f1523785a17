package io.trackedge.testing;

import io.trackedge.sink.testing.FaultReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts the cases of each hostile-input class and what the edge did with them, and writes each
 * class as one JSON line to {@code <module>/target/results/hostile/<class>.json}; {@code make hostile}
 * (or {@code make fault-table} after {@code make test}) copies them to {@code bench-results/hostile/}
 * and renders the hostile table of {@code docs/fault-results.md} from them. A class
 * belongs to one test class, which calls {@link #write} when it is done; no line of the table is
 * typed by hand.
 */
public final class HostileReport {

    private static final Map<String, Tally> TALLIES = new LinkedHashMap<>();

    private HostileReport() {
    }

    private static final class Tally {
        final String suite;
        final String description;
        final Map<String, Long> outcomes = new TreeMap<>();
        long cases;

        Tally(String suite, String description) {
            this.suite = suite;
            this.description = description;
        }
    }

    /** Declares a class (idempotent); its counts start at zero. */
    public static synchronized void begin(String hostileClass, String suite, String description) {
        TALLIES.put(hostileClass, new Tally(suite, description));
    }

    /** One case of {@code hostileClass} tried, and what came of it (a short phrase, e.g. "400, closed"). */
    public static synchronized void count(String hostileClass, String outcome) {
        add(hostileClass, outcome, 1);
    }

    /** {@code n} cases with the same outcome (e.g. fuzz inputs). */
    public static synchronized void add(String hostileClass, String outcome, long n) {
        Tally t = TALLIES.get(hostileClass);
        if (t == null) {
            throw new IllegalStateException("begin(" + hostileClass + ") first");
        }
        t.cases += n;
        t.outcomes.merge(outcome, n, Long::sum);
    }

    public static synchronized long cases(String hostileClass) {
        Tally t = TALLIES.get(hostileClass);
        return t == null ? 0 : t.cases;
    }

    /** Writes the files of every class that {@code suite} declared. */
    public static synchronized void write(String suite) {
        try {
            Path dir = FaultReport.resultsDir("hostile");
            for (Map.Entry<String, Tally> e : TALLIES.entrySet()) {
                Tally t = e.getValue();
                if (!t.suite.equals(suite) || t.cases == 0) {
                    continue;
                }
                StringBuilder json = new StringBuilder();
                json.append("{\"class\":").append(FaultReport.quote(e.getKey()))
                        .append(",\"description\":").append(FaultReport.quote(t.description))
                        .append(",\"suite\":").append(FaultReport.quote(t.suite))
                        .append(",\"cases\":").append(t.cases)
                        .append(",\"outcomes\":{");
                boolean first = true;
                for (Map.Entry<String, Long> o : t.outcomes.entrySet()) {
                    json.append(first ? "" : ",").append(FaultReport.quote(o.getKey())).append(':').append(o.getValue());
                    first = false;
                }
                json.append("},\"at\":\"").append(Instant.now()).append("\"}\n");
                Files.writeString(dir.resolve(e.getKey().replaceAll("[^A-Za-z0-9_.-]", "_") + ".json"), json);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
