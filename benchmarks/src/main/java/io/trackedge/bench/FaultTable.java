package io.trackedge.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Renders {@code bench-results/faults/*.json} (written by the fault tests) as the Markdown table in
 * {@code docs/fault-results.md}, which the README links. Usage: {@code FaultTable <repo root>}.
 */
public final class FaultTable {

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : ".");
        Path dir = root.resolve("bench-results/faults");
        List<JsonNode> rows = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : s.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                    rows.add(json.readTree(p.toFile()));
                }
            }
        }
        StringBuilder md = new StringBuilder();
        md.append("# Fault suite results\n\n")
                .append("Produced by `make faults` from the files the fault tests write to `bench-results/faults/`; ")
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
}
