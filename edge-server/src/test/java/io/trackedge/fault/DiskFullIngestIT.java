package io.trackedge.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.ingest.IngestKeyStore;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.RawHttp;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The journal's disk fills up under a running edge (a 30 MiB tmpfs as its data folder, then a
 * filler file): an ingest request whose events cannot be written gets 503 with
 * {@code Retry-After}, never 202; {@code /readyz} fails, and comes back by itself, with no traffic,
 * once the space is freed; the client's retries (same ids) are acknowledged then, and every
 * acknowledged event is in PostgreSQL exactly once.
 *
 * <p>Needs root to mount the tmpfs (the test is skipped otherwise).
 */
class DiskFullIngestIT {

    private static final UUID TENANT = UUID.fromString("3f2504e0-4f89-41d3-9a0c-0305e82c3301");
    private static final UUID USER = UUID.fromString("7c9e6679-7425-40de-944b-e07fc1f90ae7");

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"journal", "fsync"})
    void aFullDiskAnswers503AndLosesNothingAcknowledged(String ack) throws Exception {
        Path disk = tmp.resolve("disk");
        Files.createDirectories(disk);
        Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=30m", "tmpfs", disk.toString()) == 0,
                "mounting a tmpfs needs root");
        try (TestDatabase db = TestDatabase.create()) {
            String key = ingestKey(db);
            Set<UUID> acknowledged = new LinkedHashSet<>();
            try (EdgeProcess edge = EdgeProcess.start(disk.resolve("data"), Map.of("EDGE_ACK", ack,
                    "EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_URL", db.jdbcUrl(), "EDGE_DATABASE_USER", "postgres",
                    "EDGE_INGEST_KEY_REFRESH", "200ms", "EDGE_JOURNAL_SEGMENT_BYTES", "4MiB"));
                 RawHttp c = new RawHttp(edge.port())) {
                // The key works (an empty body is refused after authentication); nothing is journaled yet.
                await(Duration.ofSeconds(30), () -> status(post(c, key, "")) == 400, "the ingest key is loaded");
                long filled = fill(disk.resolve("filler"));
                assertTrue(filled > 20L << 20, "the filler took the disk: " + filled);

                List<UUID> ids = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    UUID id = UUID.randomUUID();
                    ids.add(id);
                    RawHttp.Response r = post(c, key, sent(id, i));
                    assertEquals(503, r.status(), "event " + i + " could not be written: " + r.bodyText());
                    assertEquals("1", r.header("retry-after"));
                }
                assertTrue(edge.metric("edge_journal_lost_to_write_failures_total") >= 5);
                // A one-click unsubscribe is not told it worked: the provider retries on the 503.
                RawHttp.Response unsubscribe = oneClick(c, edge.unsubscribePath(EdgeProcess.fields(TENANT, USER, "disk-full-unsub")));
                assertEquals(503, unsubscribe.status(), unsubscribe.bodyText());
                assertEquals("1", unsubscribe.header("retry-after"));
                // A pixel still gets its GIF: that answer is not an acknowledgement.
                RawHttp.Response pixel = c.get(edge.pixelPath(EdgeProcess.fields(TENANT, USER, "disk-full-pixel")));
                assertEquals(200, pixel.status());
                assertEquals(503, edge.admin("/readyz").statusCode(), "a journal that cannot write takes the node out");

                // Space again, and no traffic: readiness comes back on its own (the disk probe).
                Files.delete(disk.resolve("filler"));
                await(Duration.ofSeconds(30), () -> readyz(edge) == 200, "/readyz is 200 again without traffic");

                // The client retries with the same ids: acknowledged now.
                for (int i = 0; i < ids.size(); i++) {
                    RawHttp.Response r = post(c, key, sent(ids.get(i), i));
                    assertEquals(202, r.status(), r.bodyText());
                    acknowledged.add(ids.get(i));
                }
                String list = acknowledged.stream().map(u -> "'" + u + "'").collect(Collectors.joining(","));
                await(Duration.ofSeconds(60), () -> count(db, "SELECT count(*) FROM email_events WHERE event_id IN (" + list + ")")
                        == acknowledged.size(), "every acknowledged event reached PostgreSQL");
                assertEquals(acknowledged.size(),
                        count(db, "SELECT count(DISTINCT event_id) FROM email_events WHERE event_id IN (" + list + ")"));
                edge.terminate();
                assertEquals(0, edge.awaitExit(Duration.ofSeconds(30)));
            } finally {
                if (run("umount", disk.toString()) != 0) {
                    run("umount", "-l", disk.toString());
                }
            }
        }
    }

    /**
     * Under {@code memory} acknowledgements a 202 is no durability promise, but once the journal is
     * known to fail (here after a pixel's batch was refused) ingest answers 503 until it recovers.
     */
    @org.junit.jupiter.api.Test
    void memoryAcknowledgementsRefuseWhileTheJournalIsKnownToFail() throws Exception {
        Path disk = tmp.resolve("disk");
        Files.createDirectories(disk);
        Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=30m", "tmpfs", disk.toString()) == 0,
                "mounting a tmpfs needs root");
        try (TestDatabase db = TestDatabase.create()) {
            String key = ingestKey(db);
            try (EdgeProcess edge = EdgeProcess.start(disk.resolve("data"), Map.of("EDGE_ACK", "memory",
                    "EDGE_DATABASE_URL", db.jdbcUrl(), "EDGE_DATABASE_USER", "postgres", "EDGE_INGEST_KEY_REFRESH", "200ms",
                    "EDGE_JOURNAL_SEGMENT_BYTES", "4MiB"));
                 RawHttp c = new RawHttp(edge.port())) {
                await(Duration.ofSeconds(30), () -> status(post(c, key, "")) == 400, "the ingest key is loaded");
                String unsubscribe = edge.unsubscribePath(EdgeProcess.fields(TENANT, USER, "memory-unsub"));
                assertEquals(200, oneClick(c, unsubscribe).status(), "recorded while the journal writes");
                fill(disk.resolve("filler"));
                // Pixels until one's batch needs a page the full disk refuses (the unsubscribe's page has room for a few).
                int[] pixels = {0};
                await(Duration.ofSeconds(30), () -> {
                    assertEquals(200, c.get(edge.pixelPath(EdgeProcess.fields(TENANT, USER, "memory-pixel-" + pixels[0]++))).status());
                    return readyz(edge) == 503;
                }, "a refused pixel batch fails readiness");
                RawHttp.Response refused = post(c, key, sent(UUID.randomUUID(), 0));
                assertEquals(503, refused.status(), refused.bodyText());
                assertEquals("1", refused.header("retry-after"));
                assertEquals(503, oneClick(c, unsubscribe).status(), "answered before the write, so refused while it fails,"
                        + " even a link posted before: that one may not have been written");
                Files.delete(disk.resolve("filler"));
                await(Duration.ofSeconds(30), () -> readyz(edge) == 200, "/readyz is 200 again without traffic");
                assertEquals(202, post(c, key, sent(UUID.randomUUID(), 1)).status());
                assertEquals(200, oneClick(c, unsubscribe).status());
            } finally {
                if (run("umount", disk.toString()) != 0) {
                    run("umount", "-l", disk.toString());
                }
            }
        }
    }

    private static String ingestKey(TestDatabase db) throws Exception {
        try (Database admin = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 1)) {
            admin.migrate();
            return new IngestKeyStore(admin.dataSource()).create(null, "disk full").secret();
        }
    }

    private static String sent(UUID id, int i) {
        return "{\"type\":\"sent\",\"id\":\"" + id + "\",\"tenant\":\"" + TENANT + "\",\"user\":\"" + USER
                + "\",\"campaign\":\"disk-full\",\"mailbox\":\"mbox-1\",\"email\":\"disk-full-" + i + "\"}\n";
    }

    private static RawHttp.Response post(RawHttp c, String key, String ndjson) throws IOException {
        byte[] body = ndjson.getBytes(StandardCharsets.UTF_8);
        c.send(("POST /v1/events HTTP/1.1\r\nHost: t.example\r\nAuthorization: Bearer " + key
                + "\r\nContent-Type: application/x-ndjson\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        c.send(body);
        return c.read(false);
    }

    private static RawHttp.Response oneClick(RawHttp c, String path) throws IOException {
        String body = "List-Unsubscribe=One-Click";
        c.send(("POST " + path + " HTTP/1.1\r\nHost: t.example\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.ISO_8859_1));
        return c.read(false);
    }

    private static int status(RawHttp.Response r) {
        return r.status();
    }

    /** Writes zeros until the file system refuses; returns the bytes written. */
    private static long fill(Path file) throws IOException {
        byte[] chunk = new byte[1 << 20];
        long n = 0;
        try (OutputStream out = Files.newOutputStream(file)) {
            while (true) {
                out.write(chunk);
                n += chunk.length;
            }
        } catch (IOException full) {
            assertTrue(String.valueOf(full.getMessage()).contains("No space left"), full.toString());
        }
        return n;
    }

    private static int readyz(EdgeProcess edge) {
        try {
            return edge.admin("/readyz").statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static long count(TestDatabase db, String sql) {
        try {
            return db.count(sql);
        } catch (java.sql.SQLException e) {
            return -1; // the sink may not have made the tables yet
        }
    }

    private interface Check {
        boolean holds() throws Exception;
    }

    private static void await(Duration timeout, Check check, String what) throws Exception {
        io.trackedge.sink.testing.Await.until(what, timeout, check::holds);
    }

    private static int run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().transferTo(OutputStream.nullOutputStream());
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }
}
