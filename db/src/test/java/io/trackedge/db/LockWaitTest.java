package io.trackedge.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LockWaitTest {

    @Test
    void theDefaultWaitsASecondATimeAndAboutHalfAMinuteInAll() {
        assertEquals(Duration.ofSeconds(1), LockWait.DEFAULT.timeout());
        assertEquals(Duration.ofSeconds(28), LockWait.DEFAULT.atMost(), "10 tries of 1 s, 9 pauses of 2 s");
    }

    @Test
    void settingsThatCannotWorkAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new LockWait(Duration.ZERO, 1, Duration.ZERO),
                "0 is PostgreSQL's 'wait for ever'");
        assertThrows(IllegalArgumentException.class, () -> new LockWait(Duration.ofNanos(500_000), 1, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new LockWait(Duration.ofSeconds(1), 0, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new LockWait(Duration.ofSeconds(1), 1, Duration.ofMillis(-1)));
    }
}
