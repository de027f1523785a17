package io.trackedge.metrics;

/** Routes of the public listener, as labelled in {@code edge_http_requests_total}. */
public enum Route {
    PIXEL("pixel", true),
    CLICK("click", true),
    INGEST("ingest", false),
    UNSUBSCRIBE("unsubscribe", true),
    ERASURE("erasure", false),
    STATS("stats", false),
    OTHER("other", false);

    private final String label;
    private final boolean signed;

    Route(String label, boolean signed) {
        this.label = label;
        this.signed = signed;
    }

    public String label() {
        return label;
    }

    /** True for the routes whose path carries a signed tracking token (the others take an API key, or nothing). */
    public boolean signed() {
        return signed;
    }
}
