package io.trackedge.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Renders the published test results as the Markdown tables of {@code docs/fault-results.md},
 * which the README links: {@code bench-results/faults/*.json} (the fault suite) and
 * {@code bench-results/hostile/*.json} (the hostile-input suites and fuzz targets). The tests write
 * those files under their module's {@code target/results/}; the Makefile's {@code publish-results}
 * copies them here first, so that a test run never changes a tracked file. Usage:
 * {@code FaultTable <repo root>}.
 */
public final class FaultTable {

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : ".");
        List<JsonNode> rows = read(root.resolve("bench-results/faults"));
        StringBuilder md = new StringBuilder();
        md.append("# Fault suite results\n\n")
                .append("Produced by `make faults` from the files the fault tests write (under each module's `target/results/faults/`, ")
                .append("published to `bench-results/faults/`); ")
                .append("not edited by hand. `lost` counts acknowledged events missing at the end ")
                .append("(under `ack=memory` it is measured, not a failure).\n\n")
                .append("| Scenario | Injected | Sent | Acknowledged | Rows found | Duplicates | Lost | Recovery | Run at |\n")
                .append("|---|---|---:|---:|---:|---:|---:|---|---|\n");
        for (JsonNode r : rows) {
            md.append("| ").append(r.path("scenario").asText())
                    .append(" | ").append(r.path("injected").asText())
                    .append(" | ").append(r.path("sent").asLong())
                    .append(" | ").append(r.path("acknowledged").asLong())
                    .append(" | ").append(r.path("rows").asLong())
                    .append(" | ").append(r.path("duplicates").asLong())
                    .append(" | ").append(r.path("lost").asLong())
                    .append(" | ").append(r.path("recovery").asText())
                    .append(" | ").append(r.path("at").asText())
                    .append(" |\n");
        }
        hostile(md, read(root.resolve("bench-results/hostile")));
        Path out = root.resolve("docs/fault-results.md");
        Files.writeString(out, md.toString());
        // The README carries the same table between markers, replaced here so it is never typed by hand.
        Path readme = root.resolve("README.md");
        String start = "<!-- fault-results:start -->";
        String end = "<!-- fault-results:end -->";
        if (Files.exists(readme)) {
            String text = Files.readString(readme);
            int a = text.indexOf(start);
            int b = text.indexOf(end);
            if (a >= 0 && b > a) {
                String table = md.substring(md.indexOf("| Scenario"));
                Files.writeString(readme, text.substring(0, a + start.length()) + "\n" + table + text.substring(b));
            }
        }
        System.out.print(md);
        System.out.println("\nwritten to " + out);
    }

    private static List<JsonNode> read(Path dir) throws IOException {
        List<JsonNode> rows = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : s.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                    rows.add(json.readTree(p.toFile()));
                }
            }
        }
        return rows;
    }

    /** The hostile-input table: one row per class, its cases and what the edge did with them. */
    static void hostile(StringBuilder md, List<JsonNode> rows) {
        md.append("\n## Hostile input\n\n")
                .append("Produced by `make hostile` (or `make test`, then `make fault-table`) from the files the hostile suites ")
                .append("(`Hostile*Test`) and the fuzz targets (`*FuzzTest`) write (under `edge-server/target/results/hostile/`, ")
                .append("published to `bench-results/hostile/`); rows ending ")
                .append("in `-fuzzing` come from `make fuzz` (Jazzer, coverage-guided). Outcomes are what came back on the wire: ")
                .append("status codes in order (`x50`: fifty times), then whether the edge closed the connection or kept it ")
                .append("(`kept open`: a request sent after the hostile bytes was answered). Every case also checked that the ")
                .append("responses were well-formed, that a normal pixel still worked afterwards, and, per suite, that no buffer ")
                .append("leaked and no handler threw.\n\n")
                .append("| Class | What was tried | Cases | Outcomes | Suite | Run at |\n")
                .append("|---|---|---:|---|---|---|\n");
        List<JsonNode> sorted = new ArrayList<>(rows);
        sorted.sort(Comparator.comparing((JsonNode r) -> r.path("class").asText().startsWith("fuzz-"))
                .thenComparing(r -> r.path("class").asText()));
        for (JsonNode r : sorted) {
            StringBuilder outcomes = new StringBuilder();
            List<Map.Entry<String, JsonNode>> list = new ArrayList<>(r.path("outcomes").properties());
            list.sort(Comparator.comparingLong((Map.Entry<String, JsonNode> e) -> -e.getValue().asLong()));
            for (Map.Entry<String, JsonNode> e : list) {
                if (outcomes.length() > 0) {
                    outcomes.append("; ");
                }
                outcomes.append(e.getKey()).append(": ").append(e.getValue().asLong());
            }
            md.append("| ").append(r.path("class").asText())
                    .append(" | ").append(cell(r.path("description").asText()))
                    .append(" | ").append(r.path("cases").asLong())
                    .append(" | ").append(cell(outcomes.toString()))
                    .append(" | ").append(r.path("suite").asText())
                    .append(" | ").append(r.path("at").asText())
                    .append(" |\n");
        }
    }

    private static String cell(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }
}
