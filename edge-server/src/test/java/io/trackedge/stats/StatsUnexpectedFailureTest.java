package io.trackedge.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * What the stats API answers for a failure no answer foresaw (its workers answer through
 * {@code WorkerAnswers}, which hands it any throwable, an Error included): a 500 that does not echo
 * the failure's message, which can quote a row.
 */
class StatsUnexpectedFailureTest {

    @Test
    void anErrorIsA500ThatDoesNotEchoIt() {
        StatsResponse r = StatsService.unexpected("/v1/stats", new NoClassDefFoundError("io/trackedge/stats/GoneAfterAnUpgrade"));
        String body = new String(r.body(), StandardCharsets.UTF_8);
        assertEquals(500, r.status(), body);
        assertFalse(body.contains("GoneAfterAnUpgrade"), body);
        assertTrue(body.contains("the edge's log has the cause"), body);
    }

    @Test
    void aRuntimeExceptionIsA500ThatDoesNotEchoIt() {
        StatsResponse r = StatsService.unexpected("/v1/stats/recipients", new IllegalStateException("secret detail of a row"));
        assertEquals(500, r.status());
        assertFalse(new String(r.body(), StandardCharsets.UTF_8).contains("secret detail"));
    }
}
