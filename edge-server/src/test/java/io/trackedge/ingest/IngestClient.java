package io.trackedge.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

/** Builds ingest events and requests for tests, and reads the answers. */
final class IngestClient {

    static final ObjectMapper JSON = new ObjectMapper();
    static final UUID TENANT = TestEdge.TENANT;
    static final UUID USER = TestEdge.USER;

    private IngestClient() {
    }

    /** An email event of {@code type} with every required field (and a client id when {@code id} is not null). */
    static ObjectNode email(String type, String campaign, String email, UUID id) {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", type);
        if (id != null) {
            n.put("id", id.toString());
        }
        n.put("tenant", TENANT.toString()).put("user", USER.toString()).put("campaign", campaign)
                .put("mailbox", "mbox-1").put("email", email).put("lead", "lead-" + email).put("step", "1");
        switch (type) {
            case "bounced" -> n.put("bounce_type", email.hashCode() % 2 == 0 ? "hard" : "soft").put("bounce_reason", "550 " + email);
            case "replied" -> n.put("message_id", "<" + email + "@reply.example>");
            default -> { }
        }
        return n;
    }

    static ObjectNode warmup(String type, String mailbox, UUID id) {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", type);
        if (id != null) {
            n.put("id", id.toString());
        }
        n.put("tenant", TENANT.toString()).put("user", USER.toString()).put("mailbox", mailbox)
                .put("partner_mailbox", "peer-of-" + mailbox + "@example.org");
        return n;
    }

    static String ndjson(List<? extends JsonNode> lines) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode n : lines) {
            sb.append(n).append('\n');
        }
        return sb.toString();
    }

    static String array(List<? extends JsonNode> lines) {
        ArrayNode a = JSON.createArrayNode();
        lines.forEach(a::add);
        return a.toString();
    }

    /** A whole {@code POST /v1/events}; null key or content type leave the header out. */
    static byte[] request(String key, String contentType, String body, String extraHeaders) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String head = "POST /v1/events HTTP/1.1\r\nHost: t.example\r\n"
                + (key == null ? "" : "Authorization: Bearer " + key + "\r\n")
                + (contentType == null ? "" : "Content-Type: " + contentType + "\r\n")
                + "Content-Length: " + b.length + "\r\n" + extraHeaders + "\r\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head.getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(b);
        return out.toByteArray();
    }

    static RawHttp.Response post(RawHttp c, String key, String contentType, String body) throws IOException {
        c.send(request(key, contentType, body, ""));
        return c.read(false);
    }

    static RawHttp.Response postNdjson(RawHttp c, String key, List<? extends JsonNode> lines) throws IOException {
        return post(c, key, "application/x-ndjson", ndjson(lines));
    }

    static JsonNode json(RawHttp.Response r) throws IOException {
        return JSON.readTree(r.body());
    }
}
