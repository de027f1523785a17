package io.trackedge.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.trackedge.journal.JournalStats;
import java.io.IOException;
import java.io.OutputStream;
import java.util.function.DoubleSupplier;

/**
 * The edge's Prometheus metrics. Hot-path counters are resolved to data points once, here, so that
 * incrementing one on an event loop is a striped add with no lookup and no allocation.
 */
public final class EdgeMetrics {

    /** Statuses the public listener answers with; anything else is counted as "other". */
    private static final int[] STATUSES = {200, 202, 302, 400, 401, 403, 404, 405, 408, 413, 414, 415, 431, 500, 503, 505};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requestCounter;
    // Resolved on first use, so /metrics lists only the route and status pairs that happened.
    private final CounterDataPoint[][] requests = new CounterDataPoint[Route.values().length][STATUSES.length + 1];
    private final CounterDataPoint[] invalidTokens = new CounterDataPoint[Route.values().length];
    private final CounterDataPoint shedRingFull;
    private final CounterDataPoint rejectedRingFull;
    private final CounterDataPoint connectionsRejected;
    private final CounterDataPoint userAgentsCut;
    private final CounterDataPoint decoderFailures;
    private final CounterDataPoint[] closes = new CounterDataPoint[CloseReason.values().length];

    public EdgeMetrics() {
        requestCounter = Counter.builder().name("edge_http_requests_total")
                .help("Requests answered on the public listener, by route and status")
                .labelNames("route", "status").register(registry);
        Counter invalid = Counter.builder().name("edge_invalid_tokens_total")
                .help("Requests whose token failed verification (nothing was recorded)")
                .labelNames("route").register(registry);
        for (Route r : Route.values()) {
            if (r.signed()) { // a series for a route without tokens would only ever read 0
                invalidTokens[r.ordinal()] = invalid.labelValues(r.label());
            }
        }
        Counter shed = Counter.builder().name("edge_events_shed_total")
                .help("Events not recorded because the ring was full, by policy applied")
                .labelNames("policy").register(registry);
        shedRingFull = shed.labelValues("shed");
        rejectedRingFull = shed.labelValues("reject");
        connectionsRejected = Counter.builder().name("edge_connections_rejected_total")
                .help("Connections refused with 503 because max-connections was reached").register(registry).labelValues();
        userAgentsCut = Counter.builder().name("edge_user_agents_cut_total")
                .help("User agents longer than the journal keeps, stored cut").register(registry).labelValues();
        decoderFailures = Counter.builder().name("edge_http_decoder_failures_total")
                .help("Requests the HTTP decoder rejected (too long, malformed)").register(registry).labelValues();
        Counter closed = Counter.builder().name("edge_http_closes_total")
                .help("Public connections the edge closed, by reason").labelNames("reason").register(registry);
        for (CloseReason r : CloseReason.values()) {
            closes[r.ordinal()] = closed.labelValues(r.label());
        }
    }

    public void connectionClosed(CloseReason reason) {
        closes[reason.ordinal()].inc();
    }

    public void request(Route route, int status) {
        CounterDataPoint[] row = requests[route.ordinal()];
        int i = 0;
        while (i < STATUSES.length && STATUSES[i] != status) {
            i++;
        }
        CounterDataPoint p = row[i];
        if (p == null) {
            // Racing loops may both resolve it; the registry hands both the same data point.
            p = requestCounter.labelValues(route.label(), i < STATUSES.length ? Integer.toString(status) : "other");
            row[i] = p;
        }
        p.inc();
    }

    /** @param route one whose path carries a token ({@link Route#signed()}) */
    public void invalidToken(Route route) {
        invalidTokens[route.ordinal()].inc();
    }

    public void shedRingFull() {
        shedRingFull.inc();
    }

    public void rejectedRingFull() {
        rejectedRingFull.inc();
    }

    public void connectionRejected() {
        connectionsRejected.inc();
    }

    public void userAgentCut() {
        userAgentsCut.inc();
    }

    public void decoderFailure() {
        decoderFailures.inc();
    }

    /** Registers the journal's counters, read at scrape time. */
    public void journal(JournalStats s, DoubleSupplier writeFailures, DoubleSupplier lostToWriteFailures) {
        counter("edge_journal_appended_records_total", "Records written to the journal", () -> s.appendedRecords.get());
        counter("edge_journal_appended_bytes_total", "Bytes written to the journal", () -> s.appendedBytes.get());
        counter("edge_journal_writes_total", "write() calls on the journal (one per ring batch)", () -> s.writes.get());
        counter("edge_journal_fsyncs_total", "fsync() calls on the journal", () -> s.fsyncs.get());
        counter("edge_journal_fsync_seconds_total", "Time spent in journal fsync", () -> s.fsyncNanos.get() / 1e9);
        counter("edge_journal_dropped_at_cap_total", "Events shed because the journal reached max-bytes", () -> s.droppedAtCap.get());
        counter("edge_journal_torn_tail_bytes_total", "Bytes of torn tail cut at start-up", () -> s.tornTailBytesCut.get());
        counter("edge_journal_segments_deleted_total", "Segments deleted after every sink passed them", () -> s.segmentsDeleted.get());
        counter("edge_journal_segment_deletion_failures_total",
                "Failed attempts to delete released segments (tried again at each later release)",
                () -> s.segmentDeletionFailures.get());
        counter("edge_journal_segment_deletion_seconds_total", "Time spent deleting released segments, off the write path",
                () -> s.segmentDeletionNanos.get() / 1e9);
        counter("edge_journal_segment_syncs_total", "Segments forced and closed after a roll, off the write path", () -> s.segmentSyncs.get());
        counter("edge_journal_segment_sync_seconds_total", "Time spent forcing and closing rolled segments", () -> s.segmentSyncNanos.get() / 1e9);
        counter("edge_journal_segment_sync_failures_total", "Rolled segments whose fsync failed, or whose directory's did (a new segment's entry): their records may not survive a power cut",
                () -> s.segmentSyncFailures.get());
        gauge("edge_journal_segment_syncs_pending", "Rolled segments not yet forced", () -> s.segmentSyncsPending.get());
        counter("edge_journal_write_failures_total", "Batches the disk refused", writeFailures);
        counter("edge_journal_lost_to_write_failures_total", "Events lost in batches the disk refused", lostToWriteFailures);
        gauge("edge_journal_size_bytes", "Bytes held in journal segments", () -> s.sizeBytes.get());
    }

    public void gauge(String name, String help, DoubleSupplier value) {
        GaugeWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.getAsDouble())).register(registry);
    }

    public void counter(String name, String help, DoubleSupplier value) {
        CounterWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.getAsDouble())).register(registry);
    }

    /** The registry, for parts of the edge that register labelled metrics of their own. */
    public PrometheusRegistry registry() {
        return registry;
    }

    /** Writes the Prometheus text exposition of every metric, the edge's and the process's (JVM). */
    public void scrape(OutputStream out) throws IOException {
        MetricSnapshots.Builder all = MetricSnapshots.builder();
        registry.scrape().forEach(all::metricSnapshot);
        ProcessMetrics.scrape().forEach(all::metricSnapshot);
        PrometheusTextFormatWriter.create().write(out, all.build());
    }

    public String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }
}
