package io.trackedge.metrics;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.trackedge.http.Readiness;
import io.trackedge.sink.SinkHealth;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkStats;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;

/**
 * The metrics and readiness detail of every sink loop, from one formula: labelled series
 * ({@code edge_sink_*{sink="postgres"}}) for every sink, plus the per-sink names of earlier
 * releases ({@code edge_sink_postgres_up}, ...) that dashboards and alerts already use.
 */
public final class SinkMetrics {

    private final EdgeMetrics metrics;
    private final LongSupplier appendedRecords;
    private final List<SinkLoop> loops = new CopyOnWriteArrayList<>();
    private final java.util.Map<String, LongSupplier> clientIdsReused = new java.util.concurrent.ConcurrentSkipListMap<>();

    /** @param appendedRecords records the journal appended since this process started */
    public SinkMetrics(EdgeMetrics metrics, LongSupplier appendedRecords) {
        this.metrics = metrics;
        this.appendedRecords = appendedRecords;
        labelledGauge("edge_sink_up", "1 while the sink is running (its last attempt succeeded)", l -> l.health().up() ? 1 : 0);
        labelledGauge("edge_sink_stalled", "1 while the sink has not committed for longer than stall-after while events wait",
                l -> l.health().state() == SinkHealth.State.STALLED ? 1 : 0);
        labelledGauge("edge_sink_lag_events", "Journaled events the sink has not passed", l -> lagEvents(l));
        labelledGauge("edge_sink_lag_seconds", "Age of the oldest event the sink has read and not committed",
                l -> l.stats().lagSeconds(System.currentTimeMillis()));
        labelledGauge("edge_sink_committed_position_bytes", "Journal position the sink has committed",
                l -> l.stats().committedPosition.get());
        labelledCounter("edge_sink_batches_total", "Batches committed", l -> l.stats().batches.get());
        labelledCounter("edge_sink_events_total", "Events the sink's cursor passed: written, set aside, or given up",
                l -> l.stats().committedEvents.get());
        labelledCounter("edge_sink_failures_total", "Failed attempts (each is retried: after a backoff, or a cursor write at an open with the next batch)",
                l -> l.stats().failures.get());
        labelledCounter("edge_sink_bad_events_total", "Events set aside because the destination refused their data "
                + "(trackedge bad-events list)", l -> l.stats().badEvents.get());
        labelledCounter("edge_sink_stalls_total", "Times the sink was seen stalled", l -> l.health().stalls());
        CounterWithCallback.builder().name("edge_sink_client_ids_reused_total")
                .help("Ingest events a Postgres sink did not store because their client id was sent before with another event "
                        + "type (a client that gave two events one id, not a retry)").labelNames("sink")
                .callback(cb -> clientIdsReused.forEach((name, count) -> cb.call(count.getAsLong(), name)))
                .register(metrics.registry());
        labelledCounter("edge_sink_journal_damaged_regions_total", "Journal regions the sink skipped as damage (a bad checksum,"
                + " a segment cut short): their events never reach the destination", l -> l.stats().journalDamagedRegions.get());
        labelledCounter("edge_sink_journal_damaged_bytes_total", "Bytes of the journal regions the sink skipped as damage",
                l -> l.stats().journalDamagedBytes.get());
    }

    /** Reports {@code loop} in the labelled series, under its legacy names, and in {@code /readyz}. */
    public void add(SinkLoop loop, Readiness readiness) {
        loops.add(loop);
        String n = loop.name();
        SinkStats s = loop.stats();
        metrics.gauge("edge_sink_" + n + "_up", "1 while the " + n + " sink is running", () -> loop.health().up() ? 1 : 0);
        metrics.gauge("edge_sink_" + n + "_lag_events", "Journaled events the " + n + " sink has not passed", () -> lagEvents(loop));
        metrics.gauge("edge_sink_" + n + "_lag_seconds", "Age of the oldest event not yet committed by the " + n + " sink",
                () -> s.lagSeconds(System.currentTimeMillis()));
        metrics.gauge("edge_sink_" + n + "_committed_position_bytes", "Journal position committed by the " + n + " sink",
                () -> s.committedPosition.get());
        metrics.counter("edge_sink_" + n + "_failures_total", "Failed attempts of the " + n + " sink", () -> s.failures.get());
        // A destination being down never stops the edge from serving, so a sink never fails readiness:
        // retrying, stalled or stopped it says degraded (the node stays in the pool, an operator's
        // check of /readyz sees which part is impaired), and the detail says what it is doing.
        readiness.add(n + "-sink", () -> status(loop.health().state(), detail(loop)));
    }

    /**
     * Reports the Postgres sink named {@code name}'s count of ingest events not stored because their
     * client id came first with another event type ({@code PostgresSink.clientIdsReused}).
     */
    public void clientIdsReused(String name, LongSupplier count) {
        clientIdsReused.put(name, count);
    }

    /** A sink's readiness: degraded unless it is writing (or caught up) or still connecting the first time. */
    static Readiness.Status status(SinkHealth.State state, String detail) {
        return switch (state) {
            case STARTING, RUNNING -> Readiness.Status.ok(detail);
            case RETRYING, STALLED, STOPPED -> Readiness.Status.degraded(detail);
        };
    }

    /** One line an operator can act on: state, since when, lag, bad events and the last error. */
    public String detail(SinkLoop loop) {
        SinkHealth h = loop.health();
        SinkStats s = loop.stats();
        SinkHealth.State state = h.state();
        StringBuilder sb = new StringBuilder(state.label()).append(" since ").append(h.since());
        if (state == SinkHealth.State.STALLED) {
            sb.append(" (no commit since ").append(h.lastProgress()).append(", stall-after ").append(h.stallAfter()).append(')');
        }
        sb.append(String.format("; lag %d events, %.1f s; committed position %d; bad events %d",
                lagEvents(loop), s.lagSeconds(System.currentTimeMillis()), s.committedPosition.get(), s.badEvents.get()));
        if (state != SinkHealth.State.RUNNING && !h.lastError().isEmpty()) {
            sb.append("; last error: ").append(h.lastError());
        }
        return sb.toString();
    }

    private long lagEvents(SinkLoop l) {
        return l.stats().lagEvents(appendedRecords.getAsLong());
    }

    private void labelledGauge(String name, String help, ToDoubleFunction<SinkLoop> value) {
        GaugeWithCallback.builder().name(name).help(help).labelNames("sink")
                .callback(cb -> loops.forEach(l -> cb.call(value.applyAsDouble(l), l.name())))
                .register(metrics.registry());
    }

    private void labelledCounter(String name, String help, ToDoubleFunction<SinkLoop> value) {
        CounterWithCallback.builder().name(name).help(help).labelNames("sink")
                .callback(cb -> loops.forEach(l -> cb.call(value.applyAsDouble(l), l.name())))
                .register(metrics.registry());
    }
}
