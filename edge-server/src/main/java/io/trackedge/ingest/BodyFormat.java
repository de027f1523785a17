package io.trackedge.ingest;

import java.util.Locale;

/** The two body formats of {@code POST /v1/events}, told apart by the Content-Type. */
public enum BodyFormat {
    /** {@code application/json}: an array of event objects (or one object). */
    JSON,
    /** {@code application/x-ndjson}: one event object per line. */
    NDJSON;

    private static final String WRONG_TYPE =
            "Content-Type must be application/json (an array of events) or application/x-ndjson (one per line)";

    /**
     * @return the format of a Content-Type header value (parameters such as {@code charset=utf-8}
     *     are allowed, another charset is not), or null when it is neither; {@link #refusal} says why
     */
    public static BodyFormat of(String contentType) {
        if (contentType == null || otherCharset(contentType) != null) {
            return null;
        }
        return type(contentType);
    }

    /**
     * Why {@link #of} refuses {@code contentType}, for the 415; null when it does not. A charset is
     * named, since the generic answer would send a client whose type is right looking elsewhere.
     */
    public static String refusal(String contentType) {
        if (contentType == null || type(contentType) == null) {
            return WRONG_TYPE;
        }
        String charset = otherCharset(contentType);
        if (charset != null) {
            return charset + " is not accepted: the body must be UTF-8, labelled charset=utf-8 or with no charset";
        }
        return null;
    }

    private static BodyFormat type(String contentType) {
        int semi = contentType.indexOf(';');
        String type = (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
        return switch (type) {
            case "application/json" -> JSON;
            case "application/x-ndjson", "application/ndjson" -> NDJSON;
            default -> null;
        };
    }

    /** The charset parameter as sent when it is not utf-8, else null. */
    private static String otherCharset(String contentType) {
        String[] parts = contentType.split(";");
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].trim().toLowerCase(Locale.ROOT).replace("\"", "");
            if (p.startsWith("charset=") && !p.equals("charset=utf-8")) {
                return parts[i].trim();
            }
        }
        return null;
    }
}
