package io.trackedge.ingest;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.trackedge.metrics.EdgeMetrics;
import java.util.Locale;

/** {@code edge_ingest_*}: requests by outcome, lines by status, the key cache. */
public final class IngestMetrics {

    /** How a request ended, as labelled in {@code edge_ingest_requests_total}. */
    public enum Outcome {
        /** 202, every line accepted. */
        ACCEPTED,
        /** 202, some lines rejected. */
        PARTIAL,
        /** 400, every line rejected. */
        REJECTED,
        /** 400, the body as a whole is not valid (malformed JSON array, no events, bad framing). */
        MALFORMED,
        UNAUTHORIZED,
        /** 403: a known key without the write scope. */
        FORBIDDEN,
        TOO_LARGE,
        UNSUPPORTED_MEDIA_TYPE,
        METHOD_NOT_ALLOWED,
        /** 503: the ring was full, too many requests in flight, or the edge is stopping. */
        UNAVAILABLE,
        /** 500: a bug; logged. */
        ERROR;

        final String label = name().toLowerCase(Locale.ROOT);
    }

    private final CounterDataPoint[] requests = new CounterDataPoint[Outcome.values().length];
    private final CounterDataPoint linesAccepted;
    private final CounterDataPoint linesRejected;

    IngestMetrics(EdgeMetrics metrics, IngestKeyCache keys) {
        Counter r = Counter.builder().name("edge_ingest_requests_total")
                .help("Requests to POST /v1/events, by outcome").labelNames("outcome").register(metrics.registry());
        for (Outcome o : Outcome.values()) {
            requests[o.ordinal()] = r.labelValues(o.label);
        }
        Counter lines = Counter.builder().name("edge_ingest_lines_total")
                .help("Events in ingest requests that were parsed, by status (accepted: published to the ring)")
                .labelNames("status").register(metrics.registry());
        linesAccepted = lines.labelValues("accepted");
        linesRejected = lines.labelValues("rejected");
        metrics.gauge("edge_ingest_keys", "Ingest API keys accepted now (loaded from the database)", keys::size);
        metrics.counter("edge_ingest_key_refresh_failures_total", "Reloads of the ingest keys that failed (the last set stays)",
                keys::refreshFailures);
        metrics.gauge("edge_ingest_keys_age_seconds", "Seconds since the API keys were last read from the database: a key "
                + "revoked since is still accepted by this edge", keys::ageSeconds);
        metrics.gauge("edge_ingest_keys_reload_failing", "1 while the last reload of the API keys failed (the keys held stay "
                + "in use, revoked ones included), else 0", () -> keys.reloadFailing() ? 1 : 0);
    }

    public void request(Outcome o) {
        requests[o.ordinal()].inc();
    }

    void lines(int accepted, int rejected) {
        linesAccepted.inc(accepted);
        linesRejected.inc(rejected);
    }
}
