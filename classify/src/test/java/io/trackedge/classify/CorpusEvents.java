package io.trackedge.classify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Reads corpus/cases.jsonl into events, each with its expected automation (or null for context events). */
final class CorpusEvents {

    static final UUID TENANT = UUID.fromString("0193a6f0-0000-7000-8000-000000000013");
    static final UUID USER = UUID.fromString("0193a6f0-0000-7000-8000-000000000001");
    static final long BASE_MICROS = 1_764_547_200_000_000L; // 2025-12-01T00:00Z

    record Labelled(String caseId, String source, EventRecord event, Automation expected) {
    }

    private CorpusEvents() {
    }

    static List<List<Labelled>> load() throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<List<Labelled>> cases = new ArrayList<>();
        try (var in = CorpusEvents.class.getResourceAsStream("/corpus/cases.jsonl");
             var r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode c = json.readTree(line);
                String id = c.get("id").asText();
                String source = c.get("source").asText();
                if (source.isBlank()) {
                    throw new IllegalStateException("case " + id + " cites no source");
                }
                List<Labelled> events = new ArrayList<>();
                int n = 0;
                for (JsonNode e : c.get("events")) {
                    EventType type = EventType.valueOf(e.get("type").asText().toUpperCase());
                    byte[] ip = e.has("ip") ? InetAddress.getByName(e.get("ip").asText()).getAddress() : new byte[0];
                    String ua = e.has("ua") ? e.get("ua").asText() : null;
                    int flags = e.has("head") && e.get("head").asBoolean() ? EventRecord.FLAG_HEAD : 0;
                    String url = e.has("url") ? e.get("url").asText() : null;
                    UUID eventId = UUID.nameUUIDFromBytes((id + "#" + n++).getBytes(StandardCharsets.UTF_8));
                    EventRecord rec = new EventRecord(eventId, type, flags, BASE_MICROS + e.get("t_ms").asLong() * 1000, ip, ua,
                            new EventFields(TENANT, USER, "campaign-1", "mailbox-1", id, null, null, null), url, Map.of());
                    Automation expected = e.has("expect") ? Automation.ofWireName(e.get("expect").asText()) : null;
                    if (e.has("expect") && expected == null) {
                        throw new IllegalStateException("case " + id + ": unknown label " + e.get("expect"));
                    }
                    events.add(new Labelled(id, source, rec, expected));
                }
                cases.add(events);
            }
        }
        return cases;
    }
}
