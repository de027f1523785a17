package io.trackedge.clusters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.JobTypes;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.db.TenantRouting;
import io.trackedge.ingest.IngestKeyStore;
import io.trackedge.jobs.JobStore;
import io.trackedge.jobs.Period;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tenants spread over two databases ({@code edge.database.clusters}, with a routing table): each
 * tenant's events are written once, to its cluster only; its roll-ups are made by that cluster's
 * job runner; the stats API reads it there; an erasure deletes and audits it there. The pinned
 * tenant is one the hash alone would have put on the other cluster.
 */
class TwoClustersIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final List<String> NAMES = List.of("a", "b");

    @TempDir
    Path tmp;

    @Test
    void eachTenantsEventsRollUpsReadsAndErasureStayInItsCluster() throws Exception {
        List<UUID> tenants = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            tenants.add(new UUID(0x1111_0000_0000_4000L + i, 0x8000_0000_0000_0000L + 977L * i));
        }
        TenantRouting hashOnly = TenantRouting.of(NAMES, Map.of());
        UUID pinned = tenants.stream().filter(t -> hashOnly.clusterOf(t).equals("a")).findFirst().orElseThrow();
        TenantRouting routing = TenantRouting.of(NAMES, Map.of(pinned, "b"));
        Path table = tmp.resolve("routing.csv");
        Files.writeString(table, "# tenant_id,cluster\n" + pinned + ",b\n");

        try (TestDatabase a = TestDatabase.create(); TestDatabase b = TestDatabase.create();
             Database homeAdmin = admin(a); Database bAdmin = admin(b)) {
            IngestKeyStore keys = new IngestKeyStore(homeAdmin.dataSource()); // keys live in the home cluster
            String key = keys.create(pinned, "reader and eraser",
                    EnumSet.of(IngestKeyStore.Scope.READ, IngestKeyStore.Scope.WRITE)).secret();
            try (TestEdge edge = TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_USER", "postgres",
                    "EDGE_DATABASE_CLUSTERS", "a=" + a.jdbcUrl() + ",b=" + b.jdbcUrl(),
                    "EDGE_DATABASE_ROUTING_TABLE", table.toString(), "EDGE_INGEST_KEY_REFRESH", "200ms")) {
                assertEquals(List.of("postgres_a", "postgres_b"), edge.postgresSinkLoops().stream().map(SinkLoop::name).toList());
                Map<UUID, Integer> sent = new LinkedHashMap<>();
                try (RawHttp c = new RawHttp(edge.port())) {
                    for (int i = 0; i < tenants.size(); i++) {
                        UUID t = tenants.get(i);
                        int n = 20 + 10 * i;
                        for (int j = 0; j < n; j++) {
                            assertEquals(200, c.get(edge.pixelPath(t, (t.equals(pinned) && j < 3 ? "erase-me" : "email-" + (j % 7)))).status());
                        }
                        sent.put(t, n);
                    }
                }
                int total = sent.values().stream().mapToInt(Integer::intValue).sum();
                Await.until(total + " rows across both clusters", Duration.ofSeconds(60), () -> rows(a) + rows(b) >= total);
                assertEquals(total, rows(a) + rows(b), "every event written once, to one cluster");
                for (Map.Entry<UUID, Integer> e : sent.entrySet()) {
                    TestDatabase home = routing.clusterOf(e.getKey()).equals("a") ? a : b;
                    TestDatabase other = home == a ? b : a;
                    assertEquals(e.getValue().longValue(), rowsOf(home, e.getKey()), e.getKey() + " in its cluster");
                    assertEquals(0, rowsOf(other, e.getKey()), e.getKey() + " nowhere else");
                }
                assertTrue(rows(a) > 0 && rows(b) > 0, "the hash put tenants on both clusters");
                assertEquals(0, rowsOf(a, pinned), "the pin overrides the hash");

                // Roll-ups: cluster b's runner takes a job queued in b's table and counts b's events.
                JobStore bJobs = new JobStore(bAdmin.dataSource(), JobTypes.settings(edge.config().jobs()));
                for (String hour : b.rows("SELECT DISTINCT extract(epoch FROM date_trunc('hour', occurred_at))::bigint FROM email_events")) {
                    bJobs.enqueue("stats_hourly", 0, Period.hourOf(Instant.ofEpochSecond(Long.parseLong(hour))), null);
                }
                Await.until("cluster b's stats_hourly jobs to complete", Duration.ofSeconds(60),
                        () -> b.count("SELECT count(*) FROM analytics_jobs WHERE job_type = 'stats_hourly' AND status <> 'completed'") == 0);
                assertEquals(sent.get(pinned).longValue(),
                        b.count("SELECT coalesce(sum(opens_human + opens_machine), 0) FROM stats_hourly WHERE tenant_id = '" + pinned + "'"));

                // Reads go to the tenant's cluster: the stats API answers from b.
                HttpResponse<String> stats = get(edge, "/v1/stats?granularity=total&metrics=opens&machine=include&format=csv", key);
                assertEquals(200, stats.statusCode(), stats.body());
                assertTrue(stats.body().strip().endsWith("," + sent.get(pinned)), stats.body());

                // Erasure: the rows and the audit row are in the tenant's cluster.
                HttpResponse<String> erased = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port()
                                + "/v1/erasure?tenant=" + pinned + "&email_id=erase-me")).header("Authorization", "Bearer " + key)
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, erased.statusCode(), erased.body());
                assertEquals(0, b.count("SELECT count(*) FROM email_events WHERE email_id = 'erase-me'"));
                assertEquals(1, b.count("SELECT count(*) FROM erasure_audit"));
                assertEquals(1, a.count("SELECT count(*) FROM erasure_audit"),
                        "audited in every cluster: a's sinks hold back the recipient's events a journal still routes there");
            }
        }
    }

    private static Database admin(TestDatabase db) {
        Database d = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 2);
        d.migrate();
        return d;
    }

    private static long rows(TestDatabase db) throws java.sql.SQLException {
        return db.count("SELECT count(*) FROM email_events");
    }

    private static long rowsOf(TestDatabase db, UUID tenant) throws java.sql.SQLException {
        return db.count("SELECT count(*) FROM email_events WHERE tenant_id = '" + tenant + "'");
    }

    private static HttpResponse<String> get(TestEdge edge, String path, String key) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + path))
                .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
    }
}
