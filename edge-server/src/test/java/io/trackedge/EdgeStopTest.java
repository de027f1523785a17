package io.trackedge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class EdgeStopTest {

    private static final long NOW = 1_000_000_000_000L;

    @Test
    void theRingsShareIsASecondOfTheGraceOrHalfOfAShortOne() {
        assertEquals(TimeUnit.MILLISECONDS.toNanos(1_334), EdgeStop.ringReserveNanos(Duration.ofSeconds(10)));
        // The drain itself keeps at least the second the old floor gave it, after the halt's let-go.
        long reserve = EdgeStop.ringReserveNanos(Duration.ofSeconds(10));
        assertTrue(reserve - io.trackedge.ring.EventRing.letGoNanos(reserve) >= TimeUnit.SECONDS.toNanos(1));
        assertEquals(TimeUnit.MILLISECONDS.toNanos(300), EdgeStop.ringReserveNanos(Duration.ofMillis(600)));
        assertEquals(0, EdgeStop.ringReserveNanos(Duration.ZERO));
    }

    @Test
    void theJobsGetHalfOfWhatIsLeftSoThatTheSinksDrainInTheOtherHalf() {
        assertEquals(Duration.ofSeconds(3), EdgeStop.jobsWait(NOW + TimeUnit.SECONDS.toNanos(6), NOW));
        assertEquals(Duration.ZERO, EdgeStop.jobsWait(NOW - 1, NOW), "nothing left: no wait");
    }
}
