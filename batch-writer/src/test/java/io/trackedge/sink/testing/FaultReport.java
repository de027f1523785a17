package io.trackedge.sink.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;

/**
 * Writes one fault scenario's outcome as a JSON file under {@code <module>/target/results/faults/}.
 * A test never writes a tracked file: {@code make faults} (or {@code make fault-table} after
 * {@code make test}) copies these files to {@code bench-results/faults/} and renders the README's
 * results table from them, so every line of that table comes from a test run, none is typed by hand.
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

    /**
     * {@code <module>/target/results/<name>}, created: under the build output of the module whose
     * tests run (Maven's {@code basedir}, else the working directory, which Maven sets to it), never
     * in a tracked folder.
     */
    public static Path resultsDir(String name) throws IOException {
        Path module = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
        Path dir = module.resolve("target").resolve("results").resolve(name);
        Files.createDirectories(dir);
        return dir;
    }

    public static String quote(String s) {
        StringBuilder sb = new StringBuilder();
        io.trackedge.sink.Json.quote(sb, s);
        return sb.toString();
    }
}
