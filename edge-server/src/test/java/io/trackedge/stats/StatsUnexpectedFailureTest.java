package io.trackedge.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A query that throws past the API's own handling, an {@link Error} included, is still answered:
 * before, an Error on a worker left the request's future pending, the client waiting on a connection
 * whose idle timeout is off while a query runs, and a dashboard thread joined on it, for ever.
 */
class StatsUnexpectedFailureTest {

    @Test
    void anErrorInAQueryIsA500ThatDoesNotEchoIt() {
        StatsResponse r = StatsService.answerOrFailure("/v1/stats", () -> {
            throw new NoClassDefFoundError("io/trackedge/stats/GoneAfterAnUpgrade");
        });
        String body = new String(r.body(), StandardCharsets.UTF_8);
        assertEquals(500, r.status(), body);
        assertFalse(body.contains("GoneAfterAnUpgrade"), body);
        assertTrue(body.contains("the edge's log has the cause"), body);
    }

    @Test
    void aRuntimeExceptionIsA500ThatDoesNotEchoIt() {
        StatsResponse r = StatsService.answerOrFailure("/v1/stats/recipients", () -> {
            throw new IllegalStateException("secret detail of a row");
        });
        assertEquals(500, r.status());
        assertFalse(new String(r.body(), StandardCharsets.UTF_8).contains("secret detail"));
    }

    @Test
    void anAnswerPassesThrough() {
        StatsResponse ok = StatsResponse.error(404, "no such stats path");
        assertEquals(ok, StatsService.answerOrFailure("/v1/stats/x", () -> ok));
    }
}
