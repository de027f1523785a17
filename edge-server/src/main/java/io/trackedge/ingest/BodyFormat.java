package io.trackedge.ingest;

import java.util.Locale;

/** The two body formats of {@code POST /v1/events}, told apart by the Content-Type. */
public enum BodyFormat {
    /** {@code application/json}: an array of event objects (or one object). */
    JSON,
    /** {@code application/x-ndjson}: one event object per line. */
    NDJSON;

    /**
     * @return the format of a Content-Type header value (parameters such as {@code charset=utf-8}
     *     are allowed, another charset is not), or null when it is neither
     */
    public static BodyFormat of(String contentType) {
        if (contentType == null) {
            return null;
        }
        String[] parts = contentType.split(";");
        String type = parts[0].trim().toLowerCase(Locale.ROOT);
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].trim().toLowerCase(Locale.ROOT).replace("\"", "");
            if (p.startsWith("charset=") && !p.equals("charset=utf-8")) {
                return null;
            }
        }
        return switch (type) {
            case "application/json" -> JSON;
            case "application/x-ndjson", "application/ndjson" -> NDJSON;
            default -> null;
        };
    }
}
