package io.trackedge.sink.posthog;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** PostHog's (or a proxy's) {@code Retry-After}: seconds or an HTTP date, which was read as no wait at all. */
class BatchApiTest {

    private static final Instant NOW = Instant.parse("2026-12-06T10:00:00Z");

    @Test
    void secondsAndHttpDatesAreBothRead() {
        assertEquals(Duration.ofSeconds(30), BatchApi.retryAfter("30", NOW));
        assertEquals(Duration.ofSeconds(45), BatchApi.retryAfter("Sun, 06 Dec 2026 10:00:45 GMT", NOW));
        assertEquals(Duration.ZERO, BatchApi.retryAfter("Sun, 06 Dec 2026 09:59:00 GMT", NOW), "a date past: no wait");
        assertEquals(Duration.ofMinutes(1), BatchApi.retryAfter("Mon, 07 Dec 2026 10:00:00 GMT", NOW), "at most a minute");
        assertEquals(Duration.ofMinutes(1), BatchApi.retryAfter("86400", NOW));
        assertEquals(Duration.ofSeconds(59), BatchApi.retryAfter("59", NOW));
        assertEquals(Duration.ZERO, BatchApi.retryAfter("soon", NOW), "unreadable: the sink's own backoff");
    }
}
