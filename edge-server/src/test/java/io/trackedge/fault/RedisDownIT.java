package io.trackedge.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trackedge.ingest.IngestKeyStore;
import io.trackedge.jobs.JobSettings;
import io.trackedge.jobs.JobStore;
import io.trackedge.jobs.Period;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.FaultReport;
import io.trackedge.sink.testing.OwnedRedis;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.RawHttp;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redis down, on the real jar. Redis is only the fast dispatch path of the analytics jobs;
 * PostgreSQL is their record. With the edge's jobs dispatching through a Redis of the test's own,
 * killed (SIGKILL) mid-run: the edge keeps answering pixels and ingest, stays ready, every
 * acknowledged event reaches PostgreSQL exactly once, and a job queued after the kill is still
 * claimed and completed once, from PostgreSQL.
 */
class RedisDownIT {

    private static final int PIXELS_PER_PHASE = 300;
    private static final int INGEST_PER_PHASE = 100;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void killingRedisCostsPixelsIngestAndReadinessNothing() throws Exception {
        try (OwnedRedis redis = OwnedRedis.start(); TestDatabase db = TestDatabase.create()) {
            String key;
            // Migrated before the edge starts, so the edge's key cache finds its table at once.
            try (Database d = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 1)) {
                d.migrate();
                key = new IngestKeyStore(d.dataSource()).create(null, "redis down").secret();
            }
            Map<String, String> env = Map.of("EDGE_ACK", "journal", "EDGE_POSTGRES_SINK", "true",
                    "EDGE_DATABASE_URL", db.jdbcUrl(), "EDGE_DATABASE_USER", "postgres",
                    "EDGE_INGEST_KEY_REFRESH", "200ms", "EDGE_SINK_MAX_BACKOFF", "1s",
                    "EDGE_JOBS_REDIS_URL", redis.url(), "EDGE_JOBS_SCHEDULE_DELAY", "0s");
            Set<String> ackedPixels = new HashSet<>();
            Set<UUID> ackedIngest = new HashSet<>();
            int sent = 0;
            try (EdgeProcess edge = EdgeProcess.start(tmp.resolve("data"), env)) {
                Await.until("the Postgres sink to connect", Duration.ofSeconds(60),
                        () -> edge.metric("edge_sink_postgres_up") == 1);
                Await.until("the edge to load the ingest key", Duration.ofSeconds(30),
                        () -> ingest(edge, key, "probe", 1, ackedIngest));
                sent += 1;

                assertTrue(redis.answersPing(), "Redis is up in the first phase");
                sent += pixels(edge, "redis-up", ackedPixels);
                ingest(edge, key, "redis-up", INGEST_PER_PHASE, ackedIngest);
                sent += INGEST_PER_PHASE;

                Await.until("the scheduled jobs, dispatched through Redis, to complete", Duration.ofSeconds(60),
                        () -> db.count("SELECT count(*) FROM analytics_jobs") > 0
                                && db.count("SELECT count(*) FROM analytics_jobs WHERE status <> 'completed'") == 0);

                redis.kill();
                assertFalse(redis.answersPing(), "Redis is down in the second phase");
                UUID afterKill;
                try (Database d = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 1)) {
                    // A day no schedule covers, so this is a new job that only PostgreSQL knows of.
                    afterKill = new JobStore(d.dataSource(), JobSettings.defaults()).enqueue("campaign_analytics", 75,
                            Period.dayOf(LocalDate.now(ZoneOffset.UTC).minusDays(400)), null).jobId();
                }
                sent += pixels(edge, "redis-down", ackedPixels);
                assertTrue(ingest(edge, key, "redis-down", INGEST_PER_PHASE, ackedIngest), "ingest with Redis down is accepted");
                sent += INGEST_PER_PHASE;

                assertEquals(200, edge.admin("/readyz").statusCode(), "Redis down does not fail readiness");
                Await.until("the job queued after the kill to be claimed from PostgreSQL and completed", Duration.ofSeconds(90),
                        () -> db.count("SELECT count(*) FROM analytics_jobs WHERE job_id = '" + afterKill
                                + "' AND status = 'completed'") == 1);
                assertEquals(1, db.count("SELECT attempts FROM analytics_jobs WHERE job_id = '" + afterKill + "'"),
                        "the job ran once");
                assertEquals(2 * PIXELS_PER_PHASE, ackedPixels.size(), "every pixel answered with Redis up and down");
                Await.until("the Postgres sink to commit the whole journal", Duration.ofSeconds(60),
                        () -> edge.metric("edge_sink_postgres_committed_position_bytes") >= edge.metric("edge_journal_position_bytes"));
                edge.terminate();
                assertEquals(0, edge.awaitExit(Duration.ofSeconds(30)), "a clean stop with Redis down");
            }
            long pixelRows = db.count("SELECT count(*) FROM email_events WHERE event_type = 'open'");
            long pixelDistinct = db.count("SELECT count(DISTINCT email_id) FROM email_events WHERE event_type = 'open'");
            Set<UUID> ingestRows = new HashSet<>();
            for (String id : db.rows("SELECT event_id FROM email_events WHERE event_type = 'sent'")) {
                ingestRows.add(UUID.fromString(id.trim()));
            }
            long ingestCount = db.count("SELECT count(*) FROM email_events WHERE event_type = 'sent'");
            long acked = ackedPixels.size() + ackedIngest.size();
            long rows = pixelRows + ingestCount;
            long duplicates = (pixelRows - pixelDistinct) + (ingestCount - ingestRows.size());
            Set<UUID> missingIngest = new HashSet<>(ackedIngest);
            missingIngest.removeAll(ingestRows);
            long lost = Math.max(0, ackedPixels.size() - pixelDistinct) + missingIngest.size();
            FaultReport.record("redis-down", "Redis killed (SIGKILL) while the edge served pixels and ingest", sent, acked,
                    rows, duplicates, lost, "jobs claimed from PostgreSQL after the kill (a job queued then completed once);"
                            + " readiness stayed 200");
            assertEquals(ackedPixels.size(), pixelDistinct, "every acknowledged pixel is in the database");
            assertEquals(pixelRows, pixelDistinct, "no pixel twice");
            assertEquals(Set.of(), missingIngest, "every acknowledged ingest event is in the database");
            assertEquals(ingestCount, ingestRows.size(), "no ingest event twice");
        }
    }

    /** Fetches this phase's pixels on one keep-alive connection; returns how many were sent. */
    private static int pixels(EdgeProcess edge, String prefix, Set<String> acked) throws IOException {
        try (RawHttp c = new RawHttp(edge.port())) {
            for (PixelLoad.Target t : edge.pixelTargets(prefix, PIXELS_PER_PHASE)) {
                if (c.get(t.path()).status() == 200) {
                    acked.add(t.id());
                }
            }
        }
        return PIXELS_PER_PHASE;
    }

    /**
     * Posts {@code n} {@code sent} events with ids of our choosing; adds the accepted ones to
     * {@code acked} and returns whether the request was answered 202 with all of them accepted.
     */
    private static boolean ingest(EdgeProcess edge, String key, String prefix, int n, Set<UUID> acked) throws IOException {
        StringBuilder body = new StringBuilder();
        UUID[] ids = new UUID[n];
        for (int i = 0; i < n; i++) {
            ids[i] = UUID.randomUUID();
            body.append("{\"type\":\"sent\",\"id\":\"").append(ids[i])
                    .append("\",\"tenant\":\"0f8fad5b-d9cb-469f-a165-70867728950e\",\"user\":\"7c9e6679-7425-40de-944b-e07fc1f90ae7\"")
                    .append(",\"campaign\":\"redis\",\"mailbox\":\"mbox-1\",\"email\":\"").append(prefix).append('-').append(i)
                    .append("\"}\n");
        }
        byte[] b = body.toString().getBytes(StandardCharsets.UTF_8);
        String head = "POST /v1/events HTTP/1.1\r\nHost: t.example\r\nAuthorization: Bearer " + key
                + "\r\nContent-Type: application/x-ndjson\r\nContent-Length: " + b.length + "\r\n\r\n";
        RawHttp.Response r;
        try (RawHttp c = new RawHttp(edge.port())) {
            c.send(head.getBytes(StandardCharsets.ISO_8859_1));
            c.send(b);
            r = c.read(false);
        }
        if (r.status() != 202) {
            return false;
        }
        int accepted = 0;
        for (JsonNode res : JSON.readTree(r.body()).get("results")) {
            if (res.get("status").asText().equals("accepted")) {
                acked.add(ids[res.get("line").asInt() - 1]);
                accepted++;
            }
        }
        return accepted == n;
    }
}
