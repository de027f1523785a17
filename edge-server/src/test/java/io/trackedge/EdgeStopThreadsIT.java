package io.trackedge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.TestEdge;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A stopped edge stops the erasure list's refresher, which used to outlive the edge and log, every
 * refresh, that the databases it read were closed.
 */
class EdgeStopThreadsIT {

    private static long alive(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name) && t.isAlive()).count();
    }

    @Test
    void theErasureRefresherStopsWithTheEdge() throws Exception {
        long before = alive("erasure-refresh");
        try (TestDatabase db = TestDatabase.create()) {
            try (TestEdge edge = TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_URL", db.jdbcUrl(),
                    "EDGE_DATABASE_USER", "postgres", "EDGE_JOBS_ENABLED", "false")) {
                assertEquals(before + 1, alive("erasure-refresh"), "the edge refreshes its erasure list");
            }
            Await.until("the erasure refresher to stop", Duration.ofSeconds(10), () -> alive("erasure-refresh"), n -> n == before);
        }
    }
}
