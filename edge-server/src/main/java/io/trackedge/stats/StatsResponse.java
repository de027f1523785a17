package io.trackedge.stats;

import java.util.Map;

/** What the HTTP layer writes: status, content type, body and extra headers. */
public record StatsResponse(int status, String contentType, byte[] body, Map<String, String> headers) {

    static final String JSON = "application/json";
    static final String CSV = "text/csv; charset=utf-8";

    static StatsResponse ok(byte[] body, boolean csv) {
        return new StatsResponse(200, csv ? CSV : JSON, body, Map.of());
    }

    public static StatsResponse error(int status, String reason) {
        return new StatsResponse(status, JSON, StatsOutput.error(reason), Map.of());
    }
}
