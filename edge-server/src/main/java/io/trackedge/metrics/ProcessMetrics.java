package io.trackedge.metrics;

import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

/**
 * The JVM's own metrics (heap, GC, threads, class loading), in one registry per process that every edge's
 * {@code /metrics} shows beside its own. They describe the process, not an edge; and the client library keeps, for
 * the life of the JVM, every registry {@link JvmMetrics} was registered in, so registering them in each edge's
 * registry kept every stopped edge reachable through its callbacks (its ring, its journal's buffers): a JVM that
 * starts many edges, as the integration tests do, ran out of heap.
 */
final class ProcessMetrics {

    private static final PrometheusRegistry JVM = jvm();

    private ProcessMetrics() {
    }

    private static PrometheusRegistry jvm() {
        PrometheusRegistry registry = new PrometheusRegistry();
        JvmMetrics.builder().register(registry);
        return registry;
    }

    static MetricSnapshots scrape() {
        return JVM.scrape();
    }
}
