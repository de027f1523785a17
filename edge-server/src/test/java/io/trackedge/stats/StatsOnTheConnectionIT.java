package io.trackedge.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.ingest.IngestKeyStore;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A stats request is one of its connection's requests like the others: its answer keeps its place
 * behind answers the connection still owes, and a client that never reads its answers is not
 * answered into memory without bound. (The stats API sat in a handler of its own before the
 * tracking handler: its answers overtook held ones, and it turned reading back on whatever the
 * socket's back-pressure said.)
 */
class StatsOnTheConnectionIT {

    private static TestEdge edge(TestDatabase db) throws Exception {
        return TestEdge.start("EDGE_DATABASE_URL", db.jdbcUrl(), "EDGE_DATABASE_USER", "postgres", "EDGE_INGEST_KEY_REFRESH",
                "200ms", "EDGE_JOBS_ENABLED", "false");
    }

    private static String ingestKey(TestDatabase db) throws Exception {
        try (Database admin = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 1)) {
            admin.migrate();
            return new IngestKeyStore(admin.dataSource()).create(null, "order").secret();
        }
    }

    private static String ingest(String key, UUID id) {
        String body = "{\"type\":\"sent\",\"id\":\"" + id + "\",\"tenant\":\"" + TestEdge.TENANT + "\",\"user\":\"" + TestEdge.USER
                + "\",\"campaign\":\"order\",\"mailbox\":\"mbox-1\",\"email\":\"order-" + id + "\"}\n";
        return "POST /v1/events HTTP/1.1\r\nHost: t.example\r\nAuthorization: Bearer " + key
                + "\r\nContent-Type: application/x-ndjson\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length
                + "\r\n\r\n" + body;
    }

    private static final String STATS_WITHOUT_KEY = "GET /v1/stats?from=2026-11-01&to=2026-11-02 HTTP/1.1\r\nHost: t.example\r\n\r\n";

    @Test
    void aStatsAnswerDoesNotOvertakeAnIngestAnswerBeforeIt() throws Exception {
        try (TestDatabase db = TestDatabase.create()) {
            String key = ingestKey(db);
            try (TestEdge edge = edge(db)) {
                Await.until("the edge to know the ingest key", Duration.ofSeconds(30), () -> {
                    try (RawHttp c = new RawHttp(edge.port())) {
                        return c.send(ingest(key, UUID.randomUUID())).read(false).status() == 202;
                    }
                });
                try (RawHttp c = new RawHttp(edge.port())) {
                    // One write: the stats request is decoded while the ingest request is on its worker.
                    c.send(ingest(key, UUID.randomUUID()) + STATS_WITHOUT_KEY + ingest(key, UUID.randomUUID()));
                    assertEquals(202, c.read(false).status(), "the first answer is the first request's");
                    assertEquals(401, c.read(false).status());
                    assertEquals(202, c.read(false).status());
                }
            }
        }
    }

    @Test
    void aClientThatNeverReadsItsStatsAnswersIsNotReadWithoutBound() throws Exception {
        try (TestDatabase db = TestDatabase.create()) {
            ingestKey(db); // migrated
            try (TestEdge edge = edge(db)) {
                byte[] request = (STATS_WITHOUT_KEY.replace("\r\n\r\n", "\r\nX-Pad: " + "p".repeat(200) + "\r\n\r\n"))
                        .getBytes(StandardCharsets.US_ASCII);
                long accepted = 0;
                try (SocketChannel ch = SocketChannel.open()) {
                    ch.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 4096); // before connecting: a small window
                    ch.connect(new InetSocketAddress("127.0.0.1", edge.port()));
                    ch.configureBlocking(false);
                    ByteBuffer burst = ByteBuffer.allocate(request.length * 1024);
                    for (int i = 0; i < 1024; i++) {
                        burst.put(request);
                    }
                    burst.flip();
                    long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                    boolean stalled = false;
                    int[] written = {0};
                    while (accepted < (64L << 20) && System.nanoTime() < end && !stalled) {
                        if (!burst.hasRemaining()) {
                            burst.rewind();
                        }
                        // The socket buffers full: wait for the edge to read more; 2 s without it is a stall.
                        stalled = !Await.within(Duration.ofSeconds(2), () -> (written[0] = ch.write(burst)) > 0);
                        accepted += stalled ? 0 : written[0];
                    }
                    assertTrue(stalled && accepted < (32L << 20), "the edge took in " + (accepted >> 20)
                            + " MiB of stats requests from a client that reads nothing" + (stalled ? "" : ", and was still reading"));
                }
                try (RawHttp c = new RawHttp(edge.port())) {
                    assertEquals(401, c.send(STATS_WITHOUT_KEY).read(false).status(), "others are still answered");
                }
            }
        }
    }
}
