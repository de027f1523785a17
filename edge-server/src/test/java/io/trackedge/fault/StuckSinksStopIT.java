package io.trackedge.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.FakePostHog;
import io.trackedge.sink.testing.FaultReport;
import io.trackedge.sink.testing.OwnedPostgres;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.RawHttp;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both sinks stuck (PostgreSQL stopped; PostHog answering 500, or not answering at all): /readyz
 * reports each sink stalled with the time it began, SIGTERM still exits within the shutdown grace
 * (issue 11, defect 10), and after a restart with both back every acknowledged event lands once.
 */
class StuckSinksStopIT {

    private static final Duration GRACE = Duration.ofSeconds(5);
    /**
     * A JVM needs a moment to exit after the stop is done, longer on a loaded machine; still far
     * below what a sink stuck on its destination would take (the hanging PostHog answers after 60 s).
     */
    private static final Duration EXIT_SLACK = Duration.ofSeconds(10);

    @TempDir
    Path tmp;

    @Test
    void sigtermWithPostgresDownAndPostHogAnswering500ExitsWithinTheGrace() throws Exception {
        run("posthog-500", fake -> fake.answer(500));
    }

    @Test
    void sigtermWithPostgresDownAndPostHogHangingExitsWithinTheGrace() throws Exception {
        run("posthog-hanging", fake -> fake.slow(Duration.ofSeconds(60)));
    }

    interface Fault {
        void apply(FakePostHog fake) throws Exception;
    }

    private void run(String name, Fault breakPostHog) throws Exception {
        try (OwnedPostgres pg = OwnedPostgres.create(); TestDatabase db = TestDatabase.create("127.0.0.1", pg.port());
             FakePostHog fake = FakePostHog.start("phc_stuck")) {
            Map<String, String> env = Map.of("EDGE_ACK", "journal", "EDGE_POSTGRES_SINK", "true",
                    "EDGE_DATABASE_URL", db.jdbcUrl(), "EDGE_DATABASE_USER", "postgres",
                    "POSTHOG_API_KEY", "phc_stuck", "POSTHOG_HOST", fake.host().toString(),
                    "EDGE_POSTHOG_TIMEOUT", "30s", "EDGE_SHUTDOWN_GRACE", GRACE.toSeconds() + "s",
                    "EDGE_SINK_STALL_AFTER", "2s", "EDGE_POSTHOG_STALL_AFTER", "2s");
            Path data = tmp.resolve("data");
            Set<String> acked = new HashSet<>();
            long stopMillis;
            Integer exit;
            String stderr;
            try (EdgeProcess edge = EdgeProcess.start(data, env)) {
                Await.until("both sinks up", Duration.ofSeconds(60),
                        () -> edge.metric("edge_sink_postgres_up") == 1 && edge.metric("edge_sink_posthog_up") == 1);
                pg.stop();
                breakPostHog.apply(fake);
                List<PixelLoad.Target> targets = edge.pixelTargets(name, 200);
                try (RawHttp c = new RawHttp(edge.port())) {
                    for (PixelLoad.Target t : targets) {
                        if (c.get(t.path()).status() == 200) {
                            acked.add(t.id());
                        }
                    }
                }
                String readyz = Await.until("both sinks reported stalled", Duration.ofSeconds(30),
                        () -> edge.admin("/readyz").body(),
                        b -> b.contains("\"detail\" : \"stalled since") && b.indexOf("stalled since") != b.lastIndexOf("stalled since"));
                assertTrue(readyz.matches("(?s).*stalled since \\d{4}-\\d\\d-\\d\\dT.*"), "an ISO-8601 time: " + readyz);
                assertTrue(readyz.contains("no commit since"), readyz);
                String metrics = edge.admin("/metrics").body();
                assertTrue(metrics.contains("edge_sink_stalled{sink=\"postgres\"} 1.0"), metrics);
                assertTrue(metrics.contains("edge_sink_stalled{sink=\"posthog\"} 1.0"), metrics);

                long t0 = System.nanoTime();
                edge.terminate();
                exit = edge.awaitExit(GRACE.plus(EXIT_SLACK).plus(Duration.ofSeconds(20)));
                stopMillis = (System.nanoTime() - t0) / 1_000_000;
                stderr = edge.stderrText();
            }
            assertNotNull(exit, "still running after SIGTERM:\n" + stderr);
            assertEquals(0, exit, stderr);
            FaultReport.record("sigterm-sinks-stuck-" + name, "SIGTERM with PostgreSQL stopped and PostHog " + name.substring(8)
                    + ", shutdown grace " + GRACE.toSeconds() + " s", acked.size(), acked.size(), acked.size(), 0, 0,
                    "exit " + exit + " after " + stopMillis + " ms");
            assertTrue(stopMillis <= GRACE.plus(EXIT_SLACK).toMillis(),
                    "exited " + stopMillis + " ms after SIGTERM; grace " + GRACE.toMillis() + " ms\n" + stderr);

            // Both back: the journal kept everything the sinks had not committed.
            pg.start();
            fake.answer(0);
            fake.slow(Duration.ZERO);
            try (EdgeProcess edge = EdgeProcess.start(data, env)) {
                Await.until("every acknowledged event in PostgreSQL", Duration.ofSeconds(60),
                        () -> db.count("SELECT count(*) FROM email_events") >= acked.size());
                Await.until("every acknowledged event in PostHog", Duration.ofSeconds(60),
                        () -> fake.uuids().size() >= acked.size());
                assertEquals(acked.size(), db.count("SELECT count(DISTINCT event_id) FROM email_events"));
                assertEquals(acked.size(), db.count("SELECT count(*) FROM email_events"));
            }
        }
    }
}
