package io.trackedge;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.sink.testing.Await;
import io.trackedge.testing.TestEdge;
import java.lang.ref.WeakReference;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A stopped edge leaves nothing of itself reachable: the JVM metrics were registered in each edge's registry, and
 * the client library keeps every such registry for the life of the JVM, so each stopped edge's ring and journal
 * buffers (its metrics' callbacks reach both) stayed in the heap; edge-server's integration tests, which start
 * edges by the dozen in one JVM, ran out of a 6 GiB heap. The JVM's metrics are still on {@code /metrics}.
 */
class StoppedEdgeReleasedTest {

    @Test
    void aStoppedEdgesMetricsAndWhatTheyReachAreCollected() throws Exception {
        WeakReference<Object> registry = startShowJvmMetricsAndStop();
        Await.until("the stopped edge's metrics registry collected", Duration.ofSeconds(60), () -> {
            System.gc();
            return registry.get() == null;
        });
    }

    /** In a method of its own, so that no local variable of the test's frame keeps the edge. */
    private static WeakReference<Object> startShowJvmMetricsAndStop() throws Exception {
        try (TestEdge edge = TestEdge.start()) {
            String metrics = edge.metrics();
            assertTrue(metrics.contains("jvm_memory_used_bytes{area=\"heap\"}"), "the JVM's metrics are shown: " + metrics);
            assertTrue(metrics.contains("edge_journal_writes_total"), "and the edge's own: " + metrics);
            return new WeakReference<>(edge.metricsRegistry());
        }
    }
}
