package io.trackedge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.ingest.IngestKeyFormat;
import io.trackedge.sink.testing.Await;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.SilentServer;
import io.trackedge.testing.TestEdge;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Regression: the stop is given {@code shutdown-grace} and ran seconds past it when its parts were slow:
 * floors of a second applied once the grace was spent, a second more for a halted appender, and the
 * connection pools' closes waiting for a connection attempt to a database that does not answer to give
 * up. Past the grace, systemd's TimeoutStopSec set just above it kills the process.
 */
class StopWithinGraceTest {

    private static final Duration GRACE = Duration.ofSeconds(1);
    /**
     * What a stop may take past its grace here: the journal's final fsync, the PostHog sink's thread
     * ending (up to 0.3 s) and the scheduling of a loaded machine. The overrun this pins was seconds (a
     * pool's close waits up to its login timeout, 3 s).
     */
    private static final Duration MARGIN = Duration.ofMillis(700);

    @Test
    void aStopWhoseDatabaseDoesNotAnswerAndWhoseSinkNeverCatchesUpEndsWithinTheGrace() throws Exception {
        try (SilentServer db = SilentServer.start(); SilentServer posthog = SilentServer.start()) {
            // With the Postgres sink off, the ingest keys and the stats reads have pools of their own; PostHog never answers.
            TestEdge edge = TestEdge.start("EDGE_DATABASE_URL", "jdbc:postgresql://127.0.0.1:" + db.port() + "/trackedge",
                    "EDGE_DATABASE_USER", "postgres", "POSTHOG_API_KEY", "phc_silent",
                    "POSTHOG_HOST", "http://127.0.0.1:" + posthog.port(), "EDGE_SHUTDOWN_GRACE", GRACE.toSeconds() + "s");
            try {
                edge.opens(TestEdge.TENANT, "held-", 20); // acknowledged; the PostHog sink cannot deliver them
                Await.until("the PostHog sink to be sending", Duration.ofSeconds(30), posthog::accepted, n -> n > 0);
                Await.until("an unknown key to be allowed a reload", Duration.ofSeconds(30), () -> edge.ingestKeys().reloadsOnNextMiss());
                int attempts = db.accepted();
                try (RawHttp ingest = new RawHttp(edge.port())) {
                    // An unknown key: its reload has the ingest keys' pool connect, and the attempt waits out its login
                    // timeout (3 s) as the stop begins.
                    byte[] body = "{}\n".getBytes(StandardCharsets.UTF_8);
                    ingest.send(("POST /v1/events HTTP/1.1\r\nHost: t.example\r\nAuthorization: Bearer "
                            + IngestKeyFormat.generate(new SecureRandom()) + "\r\nContent-Type: application/x-ndjson\r\nContent-Length: "
                            + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    ingest.send(body);
                    Await.until("the reload's connection attempt", Duration.ofSeconds(30), db::accepted, n -> n > attempts);
                    long t0 = System.nanoTime();
                    edge.stop();
                    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                    assertTrue(millis <= GRACE.plus(MARGIN).toMillis(),
                            "the stop took " + millis + " ms; grace " + GRACE.toMillis() + " ms, margin " + MARGIN.toMillis() + " ms");
                }
            } finally {
                edge.close();
            }
            assertEquals(20, edge.journalEvents().size(), "every acknowledged open is in the journal for the next start");
        }
    }
}
