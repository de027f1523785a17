package io.trackedge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PostHogConfigTest {

    @Test
    void offUntilAnApiKeyIsSet() {
        io.trackedge.sink.posthog.PostHogSettings p = ConfigLoader.load(null, Map.of()).posthogSink();
        assertFalse(p.enabled());
        assertEquals("https://us.i.posthog.com", p.host().toString());
        assertEquals(Duration.ofHours(24), p.maxLag());
        assertFalse(p.sendIp());
        assertEquals(500, p.batchSize());
    }

    @Test
    void theProductDocumentsVariablesTurnItOn() {
        io.trackedge.sink.posthog.PostHogSettings p = ConfigLoader.load(null, Map.of("POSTHOG_API_KEY", " phc_secret ",
                "POSTHOG_HOST", "https://eu.i.posthog.com/", "EDGE_POSTHOG_MAX_LAG", "2h", "EDGE_POSTHOG_SEND_IP", "true"))
                .posthogSink();
        assertTrue(p.enabled());
        assertEquals("phc_secret", p.apiKey());
        assertEquals("https://eu.i.posthog.com", p.host().toString());
        assertEquals(Duration.ofHours(2), p.maxLag());
        assertTrue(p.sendIp());
        assertFalse(p.toString().contains("phc_secret"), "the key never reaches a log line");
    }

    @Test
    void badValuesNameTheirKeyAndVariable() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of(
                "POSTHOG_HOST", "us.i.posthog.com", "EDGE_POSTHOG_MAX_LAG", "0s", "EDGE_POSTHOG_BATCH_SIZE", "0")));
        String m = e.getMessage();
        assertTrue(m.contains("edge.sink.posthog.host (EDGE_SINK_POSTHOG_HOST or POSTHOG_HOST): must be http(s)://host[:port]"), m);
        assertTrue(m.contains("edge.sink.posthog.max-lag (EDGE_SINK_POSTHOG_MAX_LAG or EDGE_POSTHOG_MAX_LAG): must be positive"), m);
        assertTrue(m.contains("edge.sink.posthog.batch-size (EDGE_SINK_POSTHOG_BATCH_SIZE or EDGE_POSTHOG_BATCH_SIZE)"), m);
        assertEquals(3, e.problems().size(), m);
    }
}
