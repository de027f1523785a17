package io.trackedge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.TestEdge;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@code serve} runs a job runner by default: its scheduler enqueues the last closed periods of
 * every registered type, the runner completes them, and {@code /metrics} and {@code /readyz} show
 * it; {@code EDGE_JOBS_ENABLED=false} turns it off.
 */
class EdgeJobsIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static String admin(TestEdge edge, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.adminPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void serveSchedulesAndRunsTheJobsAndReportsThem() throws Exception {
        try (TestDatabase db = TestDatabase.create();
             TestEdge edge = TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_URL", db.jdbcUrl(),
                     "EDGE_DATABASE_USER", "postgres", "EDGE_JOBS_SCHEDULE_DELAY", "0s")) {
            long types;
            try (io.trackedge.db.Database pool = new io.trackedge.db.Database(
                    new io.trackedge.db.PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 1)) {
                types = JobTypes.registry(0, pool.dataSource()).all().size();
            }
            // within, not until: a timeout's message should name the jobs and their last errors
            boolean settled = io.trackedge.sink.testing.Await.within(Duration.ofSeconds(60), () -> {
                try {
                    // every scheduled type enqueued, and all of them done
                    return db.count("SELECT count(DISTINCT job_type) FROM analytics_jobs WHERE status = 'completed'") >= types
                            && db.count("SELECT count(*) FROM analytics_jobs WHERE status <> 'completed'") == 0;
                } catch (java.sql.SQLException e) {
                    return false; // the sink has not applied the migrations yet
                }
            });
            assertTrue(settled, "every scheduled type completed, none left, in 60 s: " + db.rows(
                    "SELECT job_type, granularity, status, last_error FROM analytics_jobs ORDER BY 1"));
            long done = db.count("SELECT count(*) FROM analytics_jobs WHERE status = 'completed'");
            assertTrue(done >= types, "every scheduled type ran at least once: " + db.rows(
                    "SELECT job_type, granularity, status, last_error FROM analytics_jobs ORDER BY 1"));
            assertEquals(0, db.count("SELECT count(*) FROM analytics_jobs WHERE status <> 'completed'"),
                    db.rows("SELECT job_type, status, last_error FROM analytics_jobs WHERE status <> 'completed'").toString());
            done = db.count("SELECT count(*) FROM analytics_jobs WHERE status = 'completed'");
            // The runner counts a job just after its commit: give the counter a moment to follow the table.
            String expected = "edge_jobs_completed_total " + (double) done;
            String metrics = io.trackedge.sink.testing.Await.until("the completed counter follows the table", Duration.ofSeconds(30),
                    () -> admin(edge, "/metrics"), m -> m.contains(expected));
            assertTrue(metrics.contains(expected), expected + " in\n" + metrics);
            assertTrue(metrics.contains("edge_jobs_dead 0"), metrics);
            assertTrue(metrics.contains("edge_jobs_splits_total 0.0"), "no split, and the README's counter is there\n" + metrics);
            String ready = admin(edge, "/readyz");
            assertTrue(ready.contains("jobs") && ready.contains("runner edge-") && ready.contains("dispatch postgres"), ready);
        }
    }

    @Test
    void aNodeWithJobsOffRunsNone() throws Exception {
        try (TestDatabase db = TestDatabase.create();
             TestEdge edge = TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_URL", db.jdbcUrl(),
                     "EDGE_DATABASE_USER", "postgres", "EDGE_JOBS_ENABLED", "false")) {
            String ready = admin(edge, "/readyz");
            assertTrue(ready.contains("disabled: edge.jobs.enabled is false on this node"), ready);
            assertTrue(!admin(edge, "/metrics").contains("edge_jobs_completed_total"));
        }
    }
}
