package io.trackedge.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * {@code docs/stats-api.yaml}, the OpenAPI document users generate clients from, is valid YAML and
 * documents every parameter {@code GET /v1/stats} takes. (It once held a description with ": " in
 * a plain scalar, which no YAML parser reads.)
 */
class StatsApiDocumentTest {

    @Test
    void theOpenApiDocumentParsesAndNamesEveryStatsParameter() throws IOException {
        JsonNode doc = new ObjectMapper(new YAMLFactory()).readTree(Path.of("../docs/stats-api.yaml").toFile());
        assertEquals(Set.of("/v1/stats", "/v1/stats/recipients", "/v1/stats/warmup", "/v1/stats/billing"),
                names(doc.path("paths").fieldNames()));
        Set<String> documented = new TreeSet<>();
        for (JsonNode p : doc.path("paths").path("/v1/stats").path("get").path("parameters")) {
            JsonNode resolved = p.has("$ref")
                    ? doc.path("components").path("parameters").path(p.get("$ref").asText().replace("#/components/parameters/", ""))
                    : p;
            documented.add(resolved.path("name").asText());
        }
        assertEquals(new TreeSet<>(StatsRequestParser.KNOWN), documented);
    }

    private static Set<String> names(java.util.Iterator<String> it) {
        Set<String> out = new TreeSet<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
