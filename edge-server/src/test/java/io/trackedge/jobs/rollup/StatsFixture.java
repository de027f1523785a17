package io.trackedge.jobs.rollup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.ingest.IngestKeyStore;
import io.trackedge.jobs.Period;
import io.trackedge.jobs.RollUp;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkStats;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.Sinks;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.TestEdge;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.UUID;

/**
 * The read side's test bed: {@link Traffic} of three tenants journaled and written by the real
 * Postgres sink into a fresh database, every roll-up run over its days, an edge serving
 * {@code GET /v1/stats} and the dashboard on that database, and keys: a read key per tenant, a
 * read key of every tenant, and a write-only key.
 */
final class StatsFixture implements AutoCloseable {

    final TestDatabase testDb;
    final Database db;
    final Instant now;
    final long events;
    final TestEdge edge;
    final String[] readKeys = new String[Traffic.TENANTS.length];
    final String allTenantsKey;
    final String writeOnlyKey;
    private final HttpClient http = HttpClient.newHttpClient();

    StatsFixture(int emails) throws Exception {
        testDb = TestDatabase.create();
        db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 2);
        db.migrate();
        Path journalDir = Files.createTempDirectory("stats-journal-");
        now = Instant.now();
        try (JournalWriter writer = JournalWriter.open(journalDir, 4L << 20, 1L << 30, new JournalStats())) {
            events = new Traffic(writer, 14, now).generate(emails);
            writer.flush();
            SinkStats stats = new SinkStats();
            SinkLoop sink = Sinks.postgres(db, journalDir, writer::flushedPosition, UUID.randomUUID(), 500, Duration.ofMillis(2),
                    Duration.ofMillis(500), stats);
            sink.start();
            long end = writer.flushedPosition();
            Await.until("the sink writes the traffic", Duration.ofSeconds(120), () -> stats.committedPosition.get() >= end);
            assertTrue(sink.stop(Duration.ofSeconds(10)));
        }
        assertEquals(events, testDb.count("SELECT count(*) FROM email_events"));
        try (Connection c = db.dataSource().getConnection()) {
            for (RollUp r : RollUps.all()) {
                for (int d = Traffic.DAYS - 1; d >= 0; d--) {
                    RollUps.runCommitted(c, r, Period.dayOf(Traffic.day(now, d)), null);
                }
            }
        }
        IngestKeyStore store = new IngestKeyStore(db.dataSource());
        for (int t = 0; t < readKeys.length; t++) {
            readKeys[t] = store.create(Traffic.TENANTS[t], "reader " + t, EnumSet.of(IngestKeyStore.Scope.READ)).secret();
        }
        allTenantsKey = store.create(null, "reader of all", EnumSet.of(IngestKeyStore.Scope.READ, IngestKeyStore.Scope.WRITE)).secret();
        writeOnlyKey = store.create(Traffic.TENANTS[0], "writer", EnumSet.of(IngestKeyStore.Scope.WRITE)).secret();
        edge = TestEdge.start("EDGE_DATABASE_URL", testDb.jdbcUrl(), "EDGE_DATABASE_USER", "postgres",
                "EDGE_INGEST_KEY_REFRESH", "200ms", "EDGE_JOBS_ENABLED", "false");
        Await.until("the edge loads the keys", Duration.ofSeconds(30), () -> get("/v1/stats", readKeys[0]).statusCode() == 200);
    }

    HttpResponse<String> get(String pathAndQuery, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + pathAndQuery))
                .timeout(Duration.ofSeconds(30));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() throws Exception {
        if (edge != null) {
            edge.close();
        }
        db.close();
        testDb.close();
    }
}
