package io.trackedge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.ingest.IngestKeyStore;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import java.time.Duration;
import java.util.EnumSet;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A stopped edge stops the threads of its erasure list's refresher and of its erasure route: the
 * refresher used to outlive the edge and log, every refresh, that the databases it read were
 * closed, and the route's worker stayed parked.
 */
class EdgeStopThreadsIT {

    private static long alive(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name) && t.isAlive()).count();
    }

    @Test
    void theErasureThreadsStopWithTheEdge() throws Exception {
        long refreshers = alive("erasure-refresh");
        long workers = alive("erasure");
        UUID tenant = UUID.randomUUID();
        try (TestDatabase db = TestDatabase.create();
             Database admin = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 1)) {
            admin.migrate();
            String key = new IngestKeyStore(admin.dataSource()).create(tenant, "eraser", EnumSet.of(IngestKeyStore.Scope.WRITE)).secret();
            try (TestEdge edge = TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_URL", db.jdbcUrl(),
                    "EDGE_DATABASE_USER", "postgres", "EDGE_JOBS_ENABLED", "false")) {
                assertEquals(refreshers + 1, alive("erasure-refresh"), "the edge refreshes its erasure list");
                try (RawHttp c = new RawHttp(edge.port())) {
                    c.send("POST /v1/erasure?tenant=" + tenant + "&email_id=nobody HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer "
                            + key + "\r\nContent-Length: 0\r\n\r\n");
                    RawHttp.Response r = c.read(false);
                    assertEquals(200, r.status(), r.bodyText());
                }
                assertEquals(workers + 1, alive("erasure"), "the erasure ran on the route's worker");
            }
            Await.until("the erasure refresher to stop", Duration.ofSeconds(10), () -> alive("erasure-refresh"), n -> n == refreshers);
            Await.until("the erasure worker to stop", Duration.ofSeconds(10), () -> alive("erasure"), n -> n == workers);
        }
    }
}
