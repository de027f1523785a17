package io.trackedge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class EdgeStopTest {

    private static final long NOW = 1_000_000_000_000L;

    @Test
    void theRingGetsWhatTheGraceLeaves() {
        assertEquals(4_000, EdgeStop.ringDrainMillis(NOW + TimeUnit.SECONDS.toNanos(4), NOW));
    }

    @Test
    void theJobsGetHalfOfWhatIsLeftSoThatTheSinksDrainInTheOtherHalf() {
        assertEquals(java.time.Duration.ofSeconds(3), EdgeStop.jobsWait(NOW + TimeUnit.SECONDS.toNanos(6), NOW));
        assertEquals(java.time.Duration.ZERO, EdgeStop.jobsWait(NOW - 1, NOW), "nothing left: no wait");
    }

    @Test
    void theRingGetsItsFloorWhenTheIngestDrainTookTheWholeGrace() {
        assertEquals(EdgeStop.RING_DRAIN_FLOOR_MILLIS, EdgeStop.ringDrainMillis(NOW - TimeUnit.SECONDS.toNanos(3), NOW));
        assertEquals(EdgeStop.RING_DRAIN_FLOOR_MILLIS, EdgeStop.ringDrainMillis(NOW + TimeUnit.MILLISECONDS.toNanos(200), NOW));
    }
}
