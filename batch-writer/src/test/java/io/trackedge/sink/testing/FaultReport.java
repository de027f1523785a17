package io.trackedge.sink.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;

/**
 * Writes one fault scenario's outcome as a JSON file under {@code <repo>/bench-results/faults/},
 * from which {@code make faults} renders the README's results table: every line of that table comes
 * from a test run, none is typed by hand.
 */
public final class FaultReport {

    private FaultReport() {
    }

    /**
     * @param lost acknowledged events missing at the end (for ack=memory this is measured, not a failure)
     * @param recovery how long recovery took, in words with units (e.g. "4.2 s to catch up")
     */
    public static void record(String scenario, String injected, long sent, long acknowledged, long rows, long duplicates,
                              long lost, String recovery) {
        String json = String.format(Locale.ROOT, "{\"scenario\":%s,\"injected\":%s,\"sent\":%d,\"acknowledged\":%d,"
                        + "\"rows\":%d,\"duplicates\":%d,\"lost\":%d,\"recovery\":%s,\"at\":\"%s\"}%n",
                quote(scenario), quote(injected), sent, acknowledged, rows, duplicates, lost, quote(recovery), Instant.now());
        try {
            Path dir = resultsDir("faults");
            Files.writeString(dir.resolve(scenario.replaceAll("[^A-Za-z0-9_.-]", "_") + ".json"), json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code <repo>/bench-results/<name>}, created, wherever the test runs from (a module folder). */
    public static Path resultsDir(String name) throws IOException {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("sql"))) {
            p = p.getParent();
        }
        Path dir = (p == null ? Path.of("").toAbsolutePath() : p).resolve("bench-results").resolve(name);
        Files.createDirectories(dir);
        return dir;
    }

    public static String quote(String s) {
        StringBuilder sb = new StringBuilder();
        io.trackedge.sink.Json.quote(sb, s);
        return sb.toString();
    }
}
