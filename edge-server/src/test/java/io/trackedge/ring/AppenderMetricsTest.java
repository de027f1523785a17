package io.trackedge.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import org.junit.jupiter.api.Test;

/** The journal-appender thread's counters the README names are on the admin listener's {@code /metrics}. */
class AppenderMetricsTest {

    @Test
    void theAppenderThreadsWakeUpsMissedHandOffsAndSlowDiskPausesAreOnMetrics() throws Exception {
        try (TestEdge edge = TestEdge.start(); RawHttp c = new RawHttp(edge.port())) {
            assertEquals(200, c.get(edge.pixelPath("metrics-1")).status());
            String metrics = edge.metrics();
            // the thread counts its first look as a wake-up, so a started edge has at least one
            assertTrue(TestEdge.sample(metrics, "edge_journal_appender_wakeups_total") >= 1, metrics);
            assertTrue(TestEdge.sample(metrics, "edge_journal_appender_missed_handoffs_total") >= 0, metrics);
            // a fast disk: the loops were never paused (SlowJournalDiskIT makes one slow)
            assertEquals(0, TestEdge.sample(metrics, "edge_journal_slow_disk_pauses_total"), metrics);
            assertEquals(0, TestEdge.sample(metrics, "edge_journal_slow_disk_paused"), metrics);
        }
    }
}
