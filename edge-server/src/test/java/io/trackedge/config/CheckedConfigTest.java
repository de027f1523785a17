package io.trackedge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CheckedConfigTest {

    @Test
    void durationsAreShownAsAConfigFileWritesThem() {
        assertEquals("0s", CheckedConfig.asWritten(Duration.ZERO));
        assertEquals("1ms", CheckedConfig.asWritten(Duration.ofMillis(1)));
        assertEquals("1500ms", CheckedConfig.asWritten(Duration.ofMillis(1500)));
        assertEquals("1d", CheckedConfig.asWritten(Duration.ofHours(24)));
        assertEquals("25h", CheckedConfig.asWritten(Duration.ofHours(25)));
        assertEquals("90m", CheckedConfig.asWritten(Duration.ofMinutes(90)));
        assertEquals("500us", CheckedConfig.asWritten(Duration.ofNanos(500_000)));
        assertEquals("7ns", CheckedConfig.asWritten(Duration.ofNanos(7)));
        assertEquals("-2s", CheckedConfig.asWritten(Duration.ofSeconds(-2)));
        assertEquals(Duration.ofSeconds(Long.MAX_VALUE).toDays() + "d", CheckedConfig.asWritten(Duration.ofSeconds(Long.MAX_VALUE)));
    }
}
