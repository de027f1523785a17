package io.trackedge.sink.bad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.trackedge.sink.BadRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PostHog sink's set-aside file, for an edge without a database. */
class FileBadEventStoreTest {

    @TempDir
    Path dir;

    /**
     * A line cut short (a crash, or an interrupt closing the channel mid-write) is ended before the next
     * one: the next line was appended onto it, and neither parsed.
     */
    @Test
    void aLineCutShortDoesNotTakeTheNextOneWithIt() throws Exception {
        Path file = dir.resolve("bad-events-posthog.ndjson");
        FileBadEventStore store = new FileBadEventStore(file);
        store.add("posthog", new BadRecord(100, 150, new byte[] {1, 2, 3}, null, "refused", "refused"));
        Files.writeString(file, "{\"sink\":\"posthog\",\"journal_posi", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        store.add("posthog", new BadRecord(150, 200, new byte[] {4, 5}, null, "refused again", "refused"));

        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(3, lines.size(), String.join("\n", lines));
        ObjectMapper json = new ObjectMapper();
        assertEquals(100, json.readTree(lines.get(0)).path("journal_position").asLong());
        assertTrue(lines.get(1).endsWith("journal_posi"), "the cut line stays as it was");
        assertEquals(150, json.readTree(lines.get(2)).path("journal_position").asLong());
        assertEquals("refused again", json.readTree(lines.get(2)).path("error").asText());
    }
}
