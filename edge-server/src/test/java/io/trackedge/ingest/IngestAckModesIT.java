package io.trackedge.ingest;

import static io.trackedge.ingest.IngestClient.email;
import static io.trackedge.ingest.IngestClient.postNdjson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trackedge.journal.EventRecord;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ingest API under {@code memory} acknowledgements, and a graceful stop in the middle of
 * ingest traffic: every event whose 202 was sent is in the journal, exactly once.
 */
class IngestAckModesIT {

    private static TestDatabase db;
    private static String key;

    @BeforeAll
    static void keys() throws Exception {
        db = TestDatabase.create();
        try (Database d = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 1)) {
            d.migrate();
            key = new IngestKeyStore(d.dataSource()).create(null, "ack modes").secret();
        }
    }

    @AfterAll
    static void drop() throws Exception {
        db.close();
    }

    private static TestEdge edge(String ack) throws Exception {
        // the sink stays off: the edge reads its keys from the database with a pool of its own
        TestEdge e = TestEdge.start("EDGE_ACK", ack, "EDGE_DATABASE_URL", db.jdbcUrl(), "EDGE_DATABASE_USER", "postgres",
                "EDGE_INGEST_KEY_REFRESH", "200ms");
        boolean loaded = Await.within(Duration.ofSeconds(30), () -> {
            try (RawHttp c = new RawHttp(e.port())) {
                return postNdjson(c, key, List.of(email("sent", "probe", "probe", null))).status() == 202;
            }
        });
        if (!loaded) {
            e.close();
            throw new AssertionError("the key was not loaded");
        }
        return e;
    }

    @Test
    void underMemoryAcknowledgementsThe202ComesAtOnceAndTheEventsFollow() throws Exception {
        try (TestEdge edge = edge("memory"); RawHttp c = new RawHttp(edge.port())) {
            UUID id = UUID.randomUUID();
            RawHttp.Response r = postNdjson(c, key, List.of(email("complained", "camp-mem", "mem-1", id)));
            assertEquals(202, r.status());
            Await.until("the acknowledged event to reach the journal", Duration.ofSeconds(30),
                    () -> edge.journalEvents().stream().anyMatch(e -> e.id().equals(id)));
        }
    }

    @Test
    void aGracefulStopJournalsEveryAcknowledgedEventOnce() throws Exception {
        TestEdge edge = edge("journal");
        Set<UUID> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicBoolean run = new AtomicBoolean(true);
        List<Thread> clients = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            int client = t;
            Thread th = new Thread(() -> {
                int n = 0;
                while (run.get()) {
                    try (RawHttp c = new RawHttp(edge.port())) {
                        while (run.get()) {
                            List<ObjectNode> lines = new ArrayList<>();
                            Map<Integer, UUID> ids = new java.util.HashMap<>();
                            for (int i = 0; i < 50; i++) {
                                UUID id = UUID.randomUUID();
                                ids.put(i + 1, id);
                                lines.add(email("delivered", "camp-stop", "stop-" + client + "-" + n++, id));
                            }
                            RawHttp.Response r = postNdjson(c, key, lines);
                            if (r.status() == 202) {
                                JsonNode results = IngestClient.json(r).get("results");
                                for (JsonNode res : results) {
                                    if (res.get("status").asText().equals("accepted")) {
                                        acknowledged.add(ids.get(res.get("line").asInt()));
                                    }
                                }
                            }
                            if ("close".equals(r.header("connection"))) {
                                break;
                            }
                        }
                    } catch (IOException stopped) {
                        // the edge went away: try again until told to stop
                    }
                }
            }, "ingest-client-" + t);
            th.start();
            clients.add(th);
        }
        // Checked only once the clients and the edge are stopped: failing here would leave them running.
        boolean loaded = Await.within(Duration.ofSeconds(30), () -> acknowledged.size() >= 3000);
        edge.stop(); // requests in flight are answered or not; no acknowledged one may be lost
        run.set(false);
        for (Thread th : clients) {
            th.join(10_000);
        }
        assertTrue(loaded, "fewer than 3000 acknowledged in the 30 s before the stop (" + acknowledged.size() + " by its end)");
        Map<UUID, Long> journaled = edge.journalEvents().stream()
                .collect(Collectors.groupingBy(EventRecord::id, Collectors.counting()));
        for (UUID id : acknowledged) {
            assertEquals(1L, journaled.getOrDefault(id, 0L), "acknowledged event " + id + " journaled");
        }
        assertTrue(journaled.values().stream().allMatch(n -> n == 1));
    }
}
