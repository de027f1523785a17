package io.trackedge.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class IdleBackoffTest {

    @Test
    void eachIdleLookSleepsTwiceAsLongUpToTheIdleParkAndALookWithWorkStartsOver() {
        long park = IdleBackoff.MAX_PARK;
        List<Long> millis = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            park = IdleBackoff.next(park, true);
            millis.add(TimeUnit.NANOSECONDS.toMillis(park));
        }
        assertEquals(List.of(2L, 4L, 8L, 16L, 32L, 50L, 50L, 50L), millis);
        assertEquals(IdleBackoff.MAX_PARK, IdleBackoff.next(IdleBackoff.IDLE_PARK, false));
    }
}
