package io.trackedge.ingest;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/** The JSON bodies of the ingest API's answers. */
public final class IngestJson {

    private IngestJson() {
    }

    /** {@code {"accepted": n, "rejected": m, "results": [{"line": 1, "status": "accepted", "id": ...}, ...]}}. */
    static byte[] results(List<BodyParser.Line> lines, Object[] results, int accepted) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + lines.size() * 72);
        try (JsonGenerator g = BodyParser.MAPPER.createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("accepted", accepted);
            g.writeNumberField("rejected", lines.size() - accepted);
            g.writeArrayFieldStart("results");
            for (int i = 0; i < lines.size(); i++) {
                g.writeStartObject();
                g.writeNumberField("line", lines.get(i).number());
                if (results[i] instanceof IngestEvent e) {
                    g.writeStringField("status", "accepted");
                    g.writeStringField("id", e.id().toString());
                } else {
                    Rejection r = (Rejection) results[i];
                    g.writeStringField("status", "rejected");
                    if (r.field() != null) {
                        g.writeStringField("field", r.field());
                    }
                    g.writeStringField("reason", r.reason());
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.write('\n');
        return out.toByteArray();
    }

    /** {@code {"error"": "..."}}, for answers about the request as a whole. */
    public static byte[] error(String message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(32 + message.length());
        try (JsonGenerator g = BodyParser.MAPPER.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("error", message);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.write('\n');
        return out.toByteArray();
    }
}
