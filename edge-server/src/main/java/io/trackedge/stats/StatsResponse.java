package io.trackedge.stats;

import java.util.Map;

/** What the HTTP layer writes: status, content type, body and extra headers. */
public record StatsResponse(int status, String contentType, byte[] body, Map<String, String> headers) {

    /** Header values are written as they are: printable ASCII only, so that no value can end its line. */
    public StatsResponse {
        for (Map.Entry<String, String> h : headers.entrySet()) {
            if (!h.getValue().chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
                throw new IllegalArgumentException("header " + h.getKey() + " holds a character outside printable ASCII");
            }
        }
    }

    static final String JSON = "application/json";
    static final String CSV = "text/csv; charset=utf-8";

    static StatsResponse ok(byte[] body, boolean csv) {
        return new StatsResponse(200, csv ? CSV : JSON, body, Map.of());
    }

    public static StatsResponse error(int status, String reason) {
        return error(status, reason, Map.of());
    }

    /** {@link #error(int, String)} with headers of its own ({@code WWW-Authenticate}, {@code Retry-After}). */
    public static StatsResponse error(int status, String reason, Map<String, String> headers) {
        return new StatsResponse(status, JSON, StatsOutput.error(reason), headers);
    }
}
