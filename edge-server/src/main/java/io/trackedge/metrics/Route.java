package io.trackedge.metrics;

/** Routes of the public listener, as labelled in {@code edge_http_requests_total}. */
public enum Route {
    PIXEL("pixel"),
    CLICK("click"),
    INGEST("ingest"),
    UNSUBSCRIBE("unsubscribe"),
    ERASURE("erasure"),
    STATS("stats"),
    OTHER("other");

    private final String label;

    Route(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
