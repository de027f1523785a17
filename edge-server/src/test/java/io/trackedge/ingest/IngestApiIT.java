package io.trackedge.ingest;

import static io.trackedge.ingest.IngestClient.TENANT;
import static io.trackedge.ingest.IngestClient.email;
import static io.trackedge.ingest.IngestClient.json;
import static io.trackedge.ingest.IngestClient.post;
import static io.trackedge.ingest.IngestClient.postNdjson;
import static io.trackedge.ingest.IngestClient.warmup;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trackedge.Main;
import io.trackedge.journal.Attributes;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.Recount;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * POST /v1/events over real sockets against an edge writing to a fresh PostgreSQL database: every
 * outcome of a request, keys made and revoked while the edge runs, retries counted once, and the
 * aggregates equal to recounts of the raw events. Journal acknowledgements throughout.
 */
class IngestApiIT {

    private static final UUID OTHER_TENANT = UUID.fromString("22222222-2222-4222-8222-222222222222");
    private static final int MAX_BODY = 64 * 1024;
    private static final int MAX_LINES = 100;

    private static TestDatabase db;
    private static Database admin;
    private static IngestKeyStore store;
    private static TestEdge edge;
    private static String allKey;
    private static String tenantKey;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabase.create();
        admin = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 1);
        admin.migrate();
        store = new IngestKeyStore(admin.dataSource());
        allKey = store.create(null, "every tenant").secret();
        tenantKey = store.create(TENANT, "one tenant").secret();
        edge = TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_URL", db.jdbcUrl(), "EDGE_DATABASE_USER", "postgres",
                "EDGE_INGEST_KEY_REFRESH", "200ms", "EDGE_INGEST_MAX_BODY_BYTES", "64KiB", "EDGE_REQUEST_TIMEOUT", "3s",
                "EDGE_INGEST_MAX_LINES", Integer.toString(MAX_LINES),
                // raw events kept a week: the API's window narrows to it (raw events kept a week, less two hours)
                "EDGE_DATABASE_RETENTION_DAYS", "7");
        awaitStatus(allKey, s -> s != 401);
    }

    @AfterAll
    static void stop() throws Exception {
        if (edge != null) {
            edge.close();
        }
        admin.close();
        db.close();
    }

    /** Posts a valid one-line request with {@code key} until its status passes {@code until} (keys reload every 200 ms). */
    private static void awaitStatus(String key, Predicate<Integer> until) {
        Await.until("the key's answer to change", Duration.ofSeconds(30), () -> {
            try (RawHttp c = new RawHttp(edge.port())) {
                return postNdjson(c, key, List.of(email("sent", "probe", "probe-" + UUID.randomUUID(), null))).status();
            }
        }, until);
    }

    private static Set<UUID> journaledIds() {
        return edge.journalEvents().stream().map(EventRecord::id).collect(Collectors.toSet());
    }

    private static Map<UUID, EventRecord> journaled(Set<UUID> ids) {
        return edge.journalEvents().stream().filter(e -> ids.contains(e.id()))
                .collect(Collectors.toMap(EventRecord::id, e -> e));
    }

    private static String metrics() throws IOException {
        try (RawHttp c = new RawHttp(edge.adminPort())) {
            c.send("GET /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            return c.read(false).bodyText();
        }
    }

    private static double metric(String text, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " ([0-9.E+-]+)$").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    /** Waits until the Postgres sink has committed everything journaled so far. */
    private static void awaitSink() {
        Await.until("the Postgres sink to catch up with the journal", Duration.ofSeconds(30), () -> {
            String m = metrics();
            double journal = metric(m, "edge_journal_position_bytes");
            return journal > 0 && metric(m, "edge_sink_postgres_committed_position_bytes") >= journal;
        });
    }

    private static void assertAccepted(JsonNode result, int line, UUID id) {
        assertEquals(line, result.get("line").asInt(), result.toString());
        assertEquals("accepted", result.get("status").asText(), result.toString());
        if (id != null) {
            assertEquals(id.toString(), result.get("id").asText());
        } else {
            assertEquals(7, UUID.fromString(result.get("id").asText()).version());
        }
    }

    private static void assertRejected(JsonNode result, int line, String field, String reason) {
        assertEquals(line, result.get("line").asInt(), result.toString());
        assertEquals("rejected", result.get("status").asText(), result.toString());
        if (field == null) {
            assertNull(result.get("field"), result.toString());
        } else {
            assertEquals(field, result.get("field").asText(), result.toString());
        }
        assertTrue(result.get("reason").asText().startsWith(reason), result.toString());
        assertNull(result.get("id"));
    }

    @Test
    void ndjsonOfEveryTypeIsJournaledBeforeThe202AndLandsInItsTables() throws Exception {
        List<ObjectNode> lines = new ArrayList<>();
        List<UUID> ids = new ArrayList<>();
        for (String type : new String[] {"sent", "delivered", "bounced", "replied", "unsubscribed", "complained"}) {
            UUID id = UUID.randomUUID();
            ids.add(id);
            lines.add(email(type, "camp-types", "types-" + type, id));
        }
        for (String type : new String[] {"warmup_open", "warmup_reply"}) {
            UUID id = UUID.randomUUID();
            ids.add(id);
            lines.add(warmup(type, "warm-types", id));
        }
        lines.get(0).put("occurred_at", java.time.Instant.now().minusSeconds(3600).toString());
        try (RawHttp c = new RawHttp(edge.port())) {
            RawHttp.Response r = postNdjson(c, allKey, lines);
            assertEquals(202, r.status(), r.bodyText());
            assertEquals("application/json", r.header("content-type"));
            assertEquals("no-store", r.header("cache-control"));
            assertTrue(r.header("date").endsWith(" GMT"));
            JsonNode body = json(r);
            assertEquals(8, body.get("accepted").asInt());
            assertEquals(0, body.get("rejected").asInt());
            for (int i = 0; i < 8; i++) {
                assertAccepted(body.get("results").get(i), i + 1, ids.get(i));
            }
            // journal acknowledgements: every event is in the journal file when the 202 arrives
            Map<UUID, EventRecord> j = journaled(new HashSet<>(ids));
            assertEquals(8, j.size());
            EventRecord bounce = j.get(ids.get(2));
            assertEquals(EventType.BOUNCED, bounce.type());
            assertEquals(new EventFields(TENANT, IngestClient.USER, "camp-types", "mbox-1", "types-bounced", "lead-types-bounced",
                    "1", null), bounce.fields());
            assertEquals(Attributes.ID_SOURCE_CLIENT, bounce.attributes().get(Attributes.ID_SOURCE));
            assertEquals("550 types-bounced", bounce.attributes().get(Attributes.BOUNCE_REASON));
            EventRecord reply = j.get(ids.get(7));
            assertEquals(EventType.WARMUP_REPLY, reply.type());
            assertEquals("warm-types", reply.fields().mailbox());
            assertEquals(EventFields.ABSENT, reply.fields().campaign());
            assertEquals(0, reply.ip().length);
            long hourAgo = j.get(ids.get(0)).occurredAtMicros();
            assertTrue(Math.abs(System.currentTimeMillis() * 1000 - 3_600_000_000L - hourAgo) < 60_000_000L);
        }
        awaitSink();
        String in = ids.stream().map(u -> "'" + u + "'").collect(Collectors.joining(","));
        assertEquals(8, db.count("SELECT count(*) FROM email_events WHERE event_id IN (" + in + ")"));
        String bounceType = "types-bounced".hashCode() % 2 == 0 ? "hard" : "soft";
        assertEquals(List.of(bounceType + "|550 types-bounced|types-bounced|camp-types"),
                db.rows("SELECT bounce_type, bounce_reason, email_id, campaign_id FROM email_bounces WHERE event_id = '" + ids.get(2) + "'"));
        assertEquals(List.of("<types-replied@reply.example>|lead-types-replied|1"),
                db.rows("SELECT message_id, lead_id, step_id FROM email_replies WHERE event_id = '" + ids.get(3) + "'"));
        assertEquals(List.of("open|warm-types|peer-of-warm-types@example.org", "reply|warm-types|peer-of-warm-types@example.org"),
                db.rows("SELECT interaction_type, mailbox_id, partner_mailbox FROM warmup_interactions WHERE mailbox_id = 'warm-types' "
                        + "ORDER BY 1"));
        assertEquals(List.of("1|1"), db.rows("SELECT opens_received, replies_received FROM warmup_daily_stats WHERE mailbox_id = 'warm-types'"));
        assertEquals(List.of("null|null|warm-types"), db.rows("SELECT DISTINCT campaign_id, email_id, mailbox_id FROM email_events "
                + "WHERE event_type::text LIKE 'warmup%' AND mailbox_id = 'warm-types'"));
        assertEquals(List.of("1|1|1|1|1|1|" + ("hard".equals(bounceType) ? "1|0" : "0|1")),
                db.rows("SELECT sum(emails_sent), sum(emails_delivered), sum(emails_bounced), sum(emails_replied), "
                        + "sum(unsubscribes), sum(complaints), sum(bounces_hard), sum(bounces_soft) FROM daily_analytics "
                        + "WHERE campaign_id = 'camp-types'"));
        assertEquals(1, db.count("SELECT sum(warmup_opens) FROM daily_analytics WHERE mailbox_id = 'warm-types' AND campaign_id IS NULL"));
    }

    @Test
    void aJsonArrayIsNumberedByElement() throws Exception {
        ObjectNode bad = email("sent", "camp-array", "array-3", null);
        bad.remove("email");
        try (RawHttp c = new RawHttp(edge.port())) {
            RawHttp.Response r = post(c, allKey, "application/json; charset=utf-8", IngestClient.array(List.of(
                    email("sent", "camp-array", "array-1", null), email("delivered", "camp-array", "array-2", null), bad)));
            assertEquals(202, r.status(), r.bodyText());
            JsonNode body = json(r);
            assertEquals(2, body.get("accepted").asInt());
            assertEquals(1, body.get("rejected").asInt());
            assertAccepted(body.get("results").get(0), 1, null);
            assertAccepted(body.get("results").get(1), 2, null);
            assertRejected(body.get("results").get(2), 3, "email", "missing");
            UUID first = UUID.fromString(body.get("results").get(0).get("id").asText());
            assertEquals("array-1", journaled(Set.of(first)).get(first).fields().email());
        }
    }

    @Test
    void partlyValidRequestsAcceptTheValidLinesOnly() throws Exception {
        UUID good1 = UUID.randomUUID();
        UUID good2 = UUID.randomUUID();
        UUID unknown = UUID.randomUUID();
        UUID missing = UUID.randomUUID();
        UUID future = UUID.randomUUID();
        ObjectNode unknownType = email("sent", "camp-partly", "partly-2", unknown).put("type", "clicked_twice");
        ObjectNode noMailbox = email("sent", "camp-partly", "partly-3", missing);
        noMailbox.remove("mailbox");
        ObjectNode tooLate = email("sent", "camp-partly", "partly-5", future).put("occurred_at", "2099-01-01T00:00:00Z");
        String body = email("sent", "camp-partly", "partly-1", good1) + "\n"
                + unknownType + "\n"
                + noMailbox + "\n"
                + "{\"type\": \"sent\", \"tenant\": \n"
                + tooLate + "\n"
                + "\n"
                + email("unsubscribed", "camp-partly", "partly-7", good2) + "\n";
        try (RawHttp c = new RawHttp(edge.port())) {
            RawHttp.Response r = post(c, allKey, "application/x-ndjson", body);
            assertEquals(202, r.status(), r.bodyText());
            JsonNode res = json(r);
            assertEquals(2, res.get("accepted").asInt());
            assertEquals(4, res.get("rejected").asInt());
            JsonNode results = res.get("results");
            assertEquals(6, results.size());
            assertAccepted(results.get(0), 1, good1);
            assertRejected(results.get(1), 2, "type", "unknown type");
            assertRejected(results.get(2), 3, "mailbox", "missing");
            assertRejected(results.get(3), 4, null, "malformed JSON");
            assertRejected(results.get(4), 5, "occurred_at", "more than 5 minutes in the future");
            assertAccepted(results.get(5), 7, good2);
        }
        Set<UUID> all = journaledIds();
        assertTrue(all.containsAll(Set.of(good1, good2)));
        assertFalse(all.contains(unknown) || all.contains(missing) || all.contains(future), "a rejected line was journaled");
    }

    @Test
    void anEventOlderThanTheRawEventsKeptIsRefusedWithTheSettingNamed() throws Exception {
        UUID recent = UUID.randomUUID();
        UUID gone = UUID.randomUUID();
        java.time.Instant now = java.time.Instant.now();
        String body = email("bounced", "camp-kept", "kept-1", recent).put("bounce_type", "hard")
                .put("occurred_at", now.minus(Duration.ofDays(6)).toString()) + "\n"
                + email("bounced", "camp-kept", "kept-2", gone).put("bounce_type", "hard")
                .put("occurred_at", now.minus(Duration.ofDays(7)).toString()) + "\n";
        try (RawHttp c = new RawHttp(edge.port())) {
            RawHttp.Response r = post(c, allKey, "application/x-ndjson", body);
            assertEquals(202, r.status(), r.bodyText());
            JsonNode results = json(r).get("results");
            assertAccepted(results.get(0), 1, recent);
            assertRejected(results.get(1), 2, "occurred_at",
                    "more than 166 hours in the past: raw events are kept 7 days (edge.database.retention-days)");
        }
        Set<UUID> all = journaledIds();
        assertTrue(all.contains(recent));
        assertFalse(all.contains(gone), "an event older than the raw events kept was journaled");
    }

    @Test
    void requestsWithNothingValidAre400AndTouchNothing() throws Exception {
        int before = edge.journalEvents().size();
        ObjectNode noTenant = email("bounced", "camp-400", "e400", null);
        noTenant.remove("tenant");
        try (RawHttp c = new RawHttp(edge.port())) {
            RawHttp.Response r = postNdjson(c, allKey, List.of(noTenant, email("opened", "c", "e", null)));
            assertEquals(400, r.status(), r.bodyText());
            JsonNode res = json(r);
            assertEquals(0, res.get("accepted").asInt());
            assertRejected(res.get("results").get(0), 1, "tenant", "missing");
            assertRejected(res.get("results").get(1), 2, "type", "unknown type");

            r = post(c, allKey, "application/json", "[" + email("sent", "camp-400", "e400", null) + ", {\"type\": ");
            assertEquals(400, r.status());
            assertTrue(json(r).get("error").asText().startsWith("malformed JSON"), r.bodyText());
            r = post(c, allKey, "application/json", "{\"type\": \"sent\"} trailing");
            assertEquals(400, r.status());
            r = post(c, allKey, "application/x-ndjson", "\n\n");
            assertEquals(400, r.status());
            assertEquals("no events in the body", json(r).get("error").asText());
            // still the same connection, still answering
            assertEquals(202, postNdjson(c, allKey, List.of(email("sent", "camp-400", "e400-ok", null))).status());
        }
        assertEquals(before + 1, edge.journalEvents().size());
    }

    @Test
    void oversizeBodiesAre413ByContentLengthAndWhileStreaming() throws Exception {
        int before = edge.journalEvents().size();
        try (RawHttp c = new RawHttp(edge.port())) {
            // refused from the head alone: the body is never sent
            c.send("POST /v1/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + allKey + "\r\n"
                    + "Content-Type: application/x-ndjson\r\nContent-Length: " + (MAX_BODY + 1) + "\r\n\r\n");
            RawHttp.Response r = c.read(false);
            assertEquals(413, r.status());
            assertEquals("close", r.header("connection"));
            assertTrue(json(r).get("error").asText().contains(Integer.toString(MAX_BODY)));
            assertTrue(c.closedByServer());
        }
        try (RawHttp c = new RawHttp(edge.port())) {
            // chunked: no length up front; refused when the body passes the limit
            c.send("POST /v1/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + allKey + "\r\n"
                    + "Content-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n");
            String line = email("sent", "camp-413", "e413", null) + "\n";
            int sent = 0;
            while (sent <= MAX_BODY) {
                byte[] chunk = line.getBytes(StandardCharsets.UTF_8);
                c.send(Integer.toHexString(chunk.length) + "\r\n" + line + "\r\n");
                sent += chunk.length;
            }
            RawHttp.Response r = c.read(false);
            assertEquals(413, r.status());
            assertEquals("close", r.header("connection"));
            assertTrue(c.closedByServer());
        }
        try (RawHttp c = new RawHttp(edge.port())) {
            // a body larger than the limit sent at once, without waiting: the 413 still arrives whole
            byte[] big = new byte[4 * MAX_BODY];
            java.util.Arrays.fill(big, (byte) ' ');
            c.send(IngestClient.request(allKey, "application/json", new String(big, StandardCharsets.US_ASCII), ""));
            RawHttp.Response r = c.read(false);
            assertEquals(413, r.status());
        }
        assertEquals(before, edge.journalEvents().size());
    }

    @Test
    void moreLinesThanAllowedAre413() throws Exception {
        int before = edge.journalEvents().size();
        List<ObjectNode> lines = new ArrayList<>();
        for (int i = 0; i <= MAX_LINES; i++) {
            lines.add(JSON_LINE);
        }
        try (RawHttp c = new RawHttp(edge.port())) {
            RawHttp.Response r = postNdjson(c, allKey, lines);
            assertEquals(413, r.status(), r.bodyText());
            assertEquals("more than 100 events in one request (101)", json(r).get("error").asText());
            r = post(c, allKey, "application/json", IngestClient.array(lines));
            assertEquals(413, r.status(), r.bodyText());
            assertEquals(202, postNdjson(c, allKey, lines.subList(0, MAX_LINES)).status(), "exactly the limit is fine");
        }
        assertEquals(before + MAX_LINES, edge.journalEvents().size());
    }

    private static final ObjectNode JSON_LINE = email("delivered", "camp-lines", "lines", null);

    @Test
    void aWrongContentTypeIs415AndTheConnectionGoesOn() throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            String body = IngestClient.ndjson(List.of(email("sent", "camp-415", "e415", null)));
            RawHttp.Response r = post(c, allKey, "text/plain", body);
            assertEquals(415, r.status());
            assertTrue(json(r).get("error").asText().contains("application/x-ndjson"));
            assertNull(r.header("connection"), "the body was read and dropped: the connection stays");
            assertEquals(415, post(c, allKey, null, body).status());
            assertEquals(415, post(c, allKey, "application/json; charset=iso-8859-1", body).status());
            // a refused charset is named: the type was right, the generic answer sent one looking at it
            RawHttp.Response utf8 = post(c, allKey, "application/x-ndjson; charset=utf8", body);
            assertEquals(415, utf8.status());
            assertTrue(json(utf8).get("error").asText().startsWith("charset=utf8 is not accepted: the body must be UTF-8"),
                    utf8.bodyText());
            assertEquals(202, post(c, allKey, "application/x-ndjson", body).status());
        }
    }

    /**
     * A UTF-16 or UTF-32 body is a 415 that says the body must be UTF-8, counted as such, and the
     * connection goes on. A JSON array in UTF-16 was taken when Jackson could decode it itself, and a
     * 500 ("internal error", which a mail server retries for ever with the same bytes) when an element
     * had a duplicate key; NDJSON was split at 0x0A bytes, inside UTF-16 characters.
     */
    @Test
    void aUtf16OrUtf32BodyIs415SayingItMustBeUtf8() throws Exception {
        String ndjson = IngestClient.ndjson(List.of(email("sent", "camp-utf16", "eutf16", null)));
        String array = IngestClient.array(List.of(email("sent", "camp-utf16", "eutf16", null)));
        String refusals = "edge_ingest_requests_total{outcome=\"unsupported_media_type\"}";
        double before = TestEdge.sample(edge.metrics(), refusals);
        try (RawHttp c = new RawHttp(edge.port())) {
            for (var sent : List.of(Map.entry("application/json", array.getBytes(StandardCharsets.UTF_16BE)),
                    Map.entry("application/x-ndjson", ("\uFEFF" + ndjson).getBytes(StandardCharsets.UTF_16LE)),
                    Map.entry("application/x-ndjson", ndjson.getBytes(java.nio.charset.Charset.forName("UTF-32LE"))),
                    Map.entry("application/json", ("[{\"a\":1,\"a\":2}," + array.substring(1)).getBytes(StandardCharsets.UTF_16LE)))) {
                byte[] body = sent.getValue();
                c.send(("POST /v1/events HTTP/1.1\r\nHost: t.example\r\nAuthorization: Bearer " + allKey
                        + "\r\nContent-Type: " + sent.getKey() + "\r\nContent-Length: " + body.length
                        + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                c.send(body);
                RawHttp.Response r = c.read(false);
                assertEquals(415, r.status(), sent.getKey() + ": " + r.bodyText());
                assertTrue(json(r).get("error").asText().startsWith("the body must be UTF-8"), r.bodyText());
                assertNull(r.header("connection"), "the body was read: the connection stays");
            }
            assertEquals(202, post(c, allKey, "application/x-ndjson", ndjson).status());
        }
        assertEquals(before + 4, TestEdge.sample(edge.metrics(), refusals));
    }

    /**
     * A compressed body is refused with 415 and {@code Accept-Encoding: identity} before it is read as
     * NDJSON: before, its bytes were split at every 0x0A into "malformed" lines, answered 400 (do not
     * retry), and the sender's events were lost. {@code identity} is the body as it is.
     */
    @Test
    void aCompressedBodyIs415NamingTheCodingAccepted() throws Exception {
        int before = edge.journalEvents().size();
        String ndjson = IngestClient.ndjson(List.of(email("sent", "camp-gzip", "egzip", null)));
        java.io.ByteArrayOutputStream zipped = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(zipped)) {
            gz.write(ndjson.getBytes(StandardCharsets.UTF_8));
        }
        byte[] body = zipped.toByteArray();
        try (RawHttp c = new RawHttp(edge.port())) {
            c.send(("POST /v1/events HTTP/1.1\r\nHost: t.example\r\nAuthorization: Bearer " + allKey
                    + "\r\nContent-Type: application/x-ndjson\r\nContent-Encoding: gzip\r\nContent-Length: " + body.length
                    + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            c.send(body);
            RawHttp.Response r = c.read(false);
            assertEquals(415, r.status(), r.bodyText());
            assertEquals("identity", r.header("accept-encoding"));
            assertTrue(json(r).get("error").asText().contains("uncompressed"), r.bodyText());
            assertNull(r.header("connection"), "the body was read and dropped: the connection stays");
            c.send(IngestClient.request(allKey, "application/x-ndjson", ndjson, "Content-Encoding: identity\r\n"));
            assertEquals(202, c.read(false).status(), "identity is the body as it is");
        }
        assertEquals(before + 1, Await.until("the one uncompressed event journaled", Duration.ofSeconds(10),
                () -> edge.journalEvents().size(), n -> n >= before + 1));
    }

    @Test
    void missingAndUnknownKeysAre401() throws Exception {
        int before = edge.journalEvents().size();
        String body = IngestClient.ndjson(List.of(email("sent", "camp-401", "e401", null)));
        try (RawHttp c = new RawHttp(edge.port())) {
            RawHttp.Response r = post(c, null, "application/x-ndjson", body);
            assertEquals(401, r.status());
            assertEquals("Bearer realm=\"trackedge\"", r.header("www-authenticate"));
            assertTrue(json(r).get("error").asText().startsWith("a bearer key is required"), r.bodyText());
            r = post(c, "tek_" + "x".repeat(43), "application/x-ndjson", body);
            assertEquals(401, r.status());
            assertEquals("Bearer realm=\"trackedge\", error=\"invalid_token\"", r.header("www-authenticate"));
            // the right prefix with a wrong secret
            r = post(c, allKey.substring(0, 46) + (allKey.endsWith("A") ? "B" : "A"), "application/x-ndjson", body);
            assertEquals(401, r.status());
            c.send("POST /v1/events HTTP/1.1\r\nHost: t\r\nAuthorization: Basic dTpw\r\nContent-Type: application/x-ndjson\r\n"
                    + "Content-Length: 0\r\n\r\n");
            // no bearer key at all, as with no header: it said the bearer key was unknown or revoked
            r = c.read(false);
            assertEquals(401, r.status());
            assertEquals("Bearer realm=\"trackedge\"", r.header("www-authenticate"));
            assertTrue(json(r).get("error").asText().startsWith("a bearer key is required"), r.bodyText());
            assertEquals(202, post(c, allKey, "application/x-ndjson", body).status());
        }
        assertEquals(before + 1, edge.journalEvents().size());
    }

    @Test
    void aKeyScopedToOneTenantCannotWriteAnother() throws Exception {
        ObjectNode other = email("sent", "camp-scope", "scope-2", null).put("tenant", OTHER_TENANT.toString());
        try (RawHttp c = new RawHttp(edge.port())) {
            RawHttp.Response r = postNdjson(c, tenantKey, List.of(email("sent", "camp-scope", "scope-1", null), other));
            assertEquals(202, r.status(), r.bodyText());
            JsonNode results = json(r).get("results");
            assertAccepted(results.get(0), 1, null);
            assertRejected(results.get(1), 2, "tenant", "not allowed for this key");
            assertEquals(202, postNdjson(c, allKey, List.of(other)).status(), "an all-tenant key may");
        }
    }

    @Test
    void keysMadeAndRevokedWithTheCliTakeEffectWithoutARestart() throws Exception {
        Path conf = Files.createTempFile("ingest-keys-", ".conf");
        conf.toFile().deleteOnExit();
        Files.writeString(conf, "edge.database.url = \"" + db.jdbcUrl() + "\"\nedge.database.user = postgres\n");
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new Main()).setOut(new PrintWriter(out));
        assertEquals(0, cli.execute("keys", "create", "--tenant", TENANT.toString(), "--note", "cli test", "-c", conf.toString()));
        String key = out.toString().trim();
        assertTrue(IngestKeyFormat.wellFormed(key), key);
        awaitStatus(key, s -> s == 202);

        out.getBuffer().setLength(0);
        assertEquals(0, cli.execute("keys", "list", "-c", conf.toString()));
        String listed = out.toString().lines().filter(l -> l.startsWith(IngestKeyFormat.prefixOf(key))).findFirst().orElseThrow();
        assertTrue(listed.contains(TENANT.toString()) && listed.contains("cli test") && listed.contains(" - "), listed);
        assertFalse(out.toString().contains(key), "the key itself is never listed");

        out.getBuffer().setLength(0);
        assertEquals(0, cli.execute("keys", "revoke", IngestKeyFormat.prefixOf(key), "-c", conf.toString()));
        assertTrue(out.toString().startsWith("revoked key " + IngestKeyFormat.prefixOf(key)), out.toString());
        awaitStatus(key, s -> s == 401);
        assertEquals(1, cli.execute("keys", "revoke", "tek_nothere", "-c", conf.toString()));

        // A leaked key revoked by itself, as the operator holds it; a key of its prefix with another secret names none.
        out.getBuffer().setLength(0);
        assertEquals(0, cli.execute("keys", "create", "--tenant", TENANT.toString(), "--note", "leaked", "-c", conf.toString()));
        String leaked = out.toString().trim();
        awaitStatus(leaked, s -> s == 202);
        String otherSecret = leaked.substring(0, leaked.length() - 1) + (leaked.endsWith("A") ? "B" : "A");
        assertEquals(1, cli.execute("keys", "revoke", otherSecret, "-c", conf.toString()));
        assertEquals(0, cli.execute("keys", "revoke", leaked, "-c", conf.toString()));
        awaitStatus(leaked, s -> s == 401);
        assertEquals(1, db.count("SELECT count(*) FROM ingest_keys WHERE note = 'cli test' AND revoked_at IS NOT NULL"));
        // only the SHA-256 of the key is stored
        assertEquals(1, db.count("SELECT count(*) FROM ingest_keys WHERE key_hash = sha256(convert_to('" + key + "', 'UTF8'))"));
    }

    @Test
    void aRetriedRequestIsCountedOnce() throws Exception {
        UUID[] ids = new UUID[6];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = UUID.randomUUID();
        }
        List<ObjectNode> lines = List.of(
                email("sent", "camp-retry", "retry-1", ids[0]),
                email("delivered", "camp-retry", "retry-1", ids[1]),
                email("bounced", "camp-retry", "retry-1", ids[2]),
                email("replied", "camp-retry", "retry-2", ids[3]),
                warmup("warmup_open", "warm-retry", ids[4]),
                warmup("warmup_reply", "warm-retry", ids[5]),
                email("complained", "camp-retry", "retry-3", null)); // no id: a retry counts it again
        try (RawHttp c = new RawHttp(edge.port())) {
            JsonNode first = json(postNdjson(c, allKey, lines));
            JsonNode second = json(postNdjson(c, allKey, lines));
            assertEquals(7, first.get("accepted").asInt());
            assertEquals(7, second.get("accepted").asInt());
            for (int i = 0; i < 6; i++) {
                assertEquals(first.get("results").get(i).get("id"), second.get("results").get(i).get("id"));
            }
        }
        try (RawHttp c = new RawHttp(edge.port())) {
            // and once more as a JSON array, on another connection
            assertEquals(202, post(c, allKey, "application/json", IngestClient.array(lines.subList(0, 6))).status());
        }
        awaitSink();
        String in = java.util.Arrays.stream(ids).map(u -> "'" + u + "'").collect(Collectors.joining(","));
        assertEquals(6, db.count("SELECT count(*) FROM email_events WHERE event_id IN (" + in + ")"));
        assertEquals(6, db.count("SELECT count(*) FROM ingest_event_ids WHERE event_id IN (" + in + ")"));
        assertEquals(List.of("1|1|1|1|2"), db.rows("SELECT sum(emails_sent), sum(emails_delivered), sum(emails_bounced), "
                + "sum(emails_replied), sum(complaints) FROM daily_analytics WHERE campaign_id = 'camp-retry'"));
        assertEquals(1, db.count("SELECT count(*) FROM email_bounces WHERE campaign_id = 'camp-retry'"));
        assertEquals(1, db.count("SELECT count(*) FROM email_replies WHERE campaign_id = 'camp-retry'"));
        assertEquals(2, db.count("SELECT count(*) FROM warmup_interactions WHERE mailbox_id = 'warm-retry'"));
        assertEquals(List.of("1|1"), db.rows("SELECT opens_received, replies_received FROM warmup_daily_stats WHERE mailbox_id = 'warm-retry'"));
        assertEquals(List.of("1|1"), db.rows("SELECT sum(warmup_opens), sum(warmup_replies) FROM daily_analytics "
                + "WHERE mailbox_id = 'warm-retry'"));
    }

    /**
     * A client that gives two events one id (a "delivered" under its "sent"'s id) is not retrying:
     * the later event cannot be stored under an id taken, and it is not dropped silently either.
     * A retry of the same event is not counted as such.
     */
    @Test
    void anIdReusedForAnotherEventIsCountedNotStored() throws Exception {
        UUID id = UUID.randomUUID();
        UUID inBatch = UUID.randomUUID();
        try (RawHttp c = new RawHttp(edge.port())) {
            assertEquals(202, postNdjson(c, allKey, List.of(email("sent", "camp-reuse", "reuse-1", id))).status());
        }
        awaitSink();
        try (RawHttp c = new RawHttp(edge.port())) {
            RawHttp.Response r = postNdjson(c, allKey, List.of(email("sent", "camp-reuse", "reuse-1", id),     // a retry
                    email("sent", "camp-reuse", "reuse-2", inBatch),
                    email("bounced", "camp-reuse", "reuse-2", inBatch),                                      // reused in one request
                    email("sent", "camp-reuse", "reuse-2", inBatch),                                         // repeated in it
                    email("bounced", "camp-reuse", "reuse-3", inBatch).put("tenant", OTHER_TENANT.toString()))); // another tenant's
            assertEquals(202, r.status(), r.bodyText());
            JsonNode results = json(r).get("results");
            // Reused in one request, the API sees it: refused on its line (before, accepted, then counted by the sink).
            assertRejected(results.get(2), 3, "id", "already given in this request to a sent event: an id names one event");
            assertAccepted(results.get(3), 4, inBatch);
            assertAccepted(results.get(4), 5, inBatch); // an id is one tenant's: another tenant's event with it is its own
        }
        awaitSink();
        try (RawHttp c = new RawHttp(edge.port())) {
            assertEquals(202, postNdjson(c, allKey, List.of(email("delivered", "camp-reuse", "reuse-1", id))).status()); // a reused id
        }
        awaitSink();
        Await.until("the reused id counted", Duration.ofSeconds(30),
                () -> metric(metrics(), "edge_sink_client_ids_reused_total{sink=\"postgres\"}") == 1.0);
        try (RawHttp c = new RawHttp(edge.port())) {
            // each event judged once, against the type the id was stored with: the delivered again, the sent a retry
            assertEquals(202, postNdjson(c, allKey, List.of(email("delivered", "camp-reuse", "reuse-1", id))).status());
            assertEquals(202, postNdjson(c, allKey, List.of(email("sent", "camp-reuse", "reuse-1", id))).status());
        }
        awaitSink();
        assertEquals(List.of("sent", "sent"), db.rows("SELECT event_type FROM email_events WHERE campaign_id = 'camp-reuse'"
                + " AND tenant_id <> '" + OTHER_TENANT + "' ORDER BY 1"));
        assertEquals(List.of("bounced"), db.rows("SELECT event_type FROM email_events WHERE tenant_id = '" + OTHER_TENANT
                + "' AND event_id = '" + inBatch + "'"), "the other tenant's event with the same id, stored");
        Await.until("the reused id counted again, the retry not", Duration.ofSeconds(30),
                () -> metric(metrics(), "edge_sink_client_ids_reused_total{sink=\"postgres\"}") == 2.0);
    }

    /**
     * A mail server that sends its request and shuts its sending side gets the 202 (held for the
     * journal and processed on a worker) before the edge closes; a pixel pipelined behind it too.
     */
    @Test
    void aClientThatHalfClosesAfterItsIngestRequestGetsTheAnswer() throws Exception {
        UUID id = UUID.randomUUID();
        try (RawHttp c = new RawHttp(edge.port())) {
            java.io.ByteArrayOutputStream both = new java.io.ByteArrayOutputStream();
            both.writeBytes(IngestClient.request(allKey, "application/x-ndjson",
                    IngestClient.ndjson(List.of(email("sent", "camp-half", "half-1", id))), ""));
            both.writeBytes(("GET " + edge.pixelPath("half-px") + " HTTP/1.1\r\nHost: t\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            c.send(both.toByteArray());
            c.shutdownOutput();
            RawHttp.Response ingest = c.read(false);
            assertEquals(202, ingest.status(), ingest.bodyText());
            assertEquals(200, c.read(false).status());
            assertTrue(c.closedByServer());
        }
        awaitSink();
        assertEquals(1, db.count("SELECT count(*) FROM email_events WHERE event_id = '" + id + "'"));
    }

    @Test
    void pipelinedRequestsAreAnsweredInRequestOrder() throws Exception {
        String ok = IngestClient.ndjson(List.of(email("sent", "camp-pipe", "pipe-1", null)));
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        all.writeBytes(IngestClient.request(allKey, "application/x-ndjson", ok, ""));
        all.writeBytes(("GET " + edge.pixelPath("pipe-px-1") + " HTTP/1.1\r\nHost: t\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        all.writeBytes(IngestClient.request(allKey, "text/csv", ok, ""));
        all.writeBytes(IngestClient.request(allKey, "application/x-ndjson", ok, ""));
        all.writeBytes("GET /v1/events HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        all.writeBytes(("GET " + edge.pixelPath("pipe-px-2") + " HTTP/1.1\r\nHost: t\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        try (RawHttp c = new RawHttp(edge.port())) {
            c.send(all.toByteArray());
            int[] expected = {202, 200, 415, 202, 405, 200};
            for (int status : expected) {
                RawHttp.Response r = c.read(false);
                assertEquals(status, r.status(), r.statusLine() + " " + r.bodyText());
                if (status == 405) {
                    assertEquals("POST", r.header("allow"));
                }
            }
        }
    }

    @Test
    void aBodyTricklingPastTheRequestTimeoutIs408AndGivesBackItsBudget() throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            c.timeout(10_000);
            c.send("POST /v1/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + allKey + "\r\n"
                    + "Content-Type: application/x-ndjson\r\nContent-Length: 1000\r\n\r\n");
            long begin = System.nanoTime();
            RawHttp.Response r = null;
            for (int i = 0; i < 100 && r == null; i++) {
                try {
                    c.send("{");
                } catch (IOException closed) {
                    break;
                }
                c.timeout(300);
                try {
                    r = c.read(false);
                } catch (java.net.SocketTimeoutException stillWaiting) {
                    // not yet
                }
            }
            long took = (System.nanoTime() - begin) / 1_000_000;
            assertTrue(r != null, "no answer to a trickling body");
            assertEquals(408, r.status());
            assertEquals("close", r.header("connection"));
            // Not before the timeout; after it, within a margin a loaded machine can need.
            assertTrue(took >= 2900 && took < 15_000, "408 after " + took + " ms");
        }
        // The body's share of the in-flight budget was given back, and the API goes on.
        String m = metrics();
        assertEquals(0.0, metric(m, "edge_ingest_buffered_bytes"), m);
        try (RawHttp c = new RawHttp(edge.port())) {
            assertEquals(202, postNdjson(c, allKey, List.of(email("sent", "camp-408", "e408", null))).status());
        }
    }

    @Test
    void expect100ContinueGetsTheInterimAnswerFirst() throws Exception {
        String body = IngestClient.ndjson(List.of(email("sent", "camp-100", "e100", null)));
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        try (RawHttp c = new RawHttp(edge.port())) {
            c.send("POST /v1/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + allKey + "\r\n"
                    + "Content-Type: application/x-ndjson\r\nContent-Length: " + b.length + "\r\nExpect: 100-continue\r\n\r\n");
            assertEquals(100, c.read(false).status());
            c.send(b);
            assertEquals(202, c.read(false).status());
        }
        try (RawHttp c = new RawHttp(edge.port())) {
            // refused at the head: the client does not send its body, so the connection closes
            c.send("POST /v1/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-ndjson\r\nContent-Length: "
                    + b.length + "\r\nExpect: 100-continue\r\n\r\n");
            RawHttp.Response r = c.read(false);
            assertEquals(401, r.status());
            assertEquals("close", r.header("connection"));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void aMixedLoadWithRetriesLeavesEveryAggregateEqualToARecount() throws Exception {
        Random random = new Random(4);
        String[] types = {"sent", "delivered", "bounced", "replied", "unsubscribed", "complained", "warmup_open", "warmup_reply"};
        List<String> bodies = new ArrayList<>();
        for (int r = 0; r < 30; r++) {
            List<ObjectNode> lines = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                String type = types[random.nextInt(types.length)];
                UUID id = random.nextInt(4) == 0 ? null : UUID.randomUUID();
                ObjectNode n = type.startsWith("warmup") ? warmup(type, "warm-mix-" + random.nextInt(5), id)
                        : email(type, "camp-mix-" + random.nextInt(4), "mix-" + random.nextInt(300), id);
                if (random.nextInt(3) == 0) {
                    n.put("occurred_at", java.time.Instant.now().minus(Duration.ofHours(random.nextInt(60))).toString());
                }
                lines.add(n);
            }
            bodies.add(IngestClient.ndjson(lines));
        }
        try (RawHttp a = new RawHttp(edge.port()); RawHttp b = new RawHttp(edge.port())) {
            for (int r = 0; r < bodies.size(); r++) {
                RawHttp c = r % 2 == 0 ? a : b;
                assertEquals(202, post(c, allKey, "application/x-ndjson", bodies.get(r)).status());
                if (r % 5 == 4) {
                    assertEquals(202, post(c, allKey, "application/x-ndjson", bodies.get(r - 2)).status()); // a retry
                }
            }
        }
        awaitSink();
        List<List<String>> daily = Recount.compare(db);
        assertEquals(daily.get(1), daily.get(0), "daily_analytics differs from a recount of email_events");
        List<List<String>> warm = Recount.compareWarmup(db);
        assertEquals(warm.get(1), warm.get(0), "warmup_daily_stats differs from a recount of email_events");
        assertTrue(warm.get(0).size() >= 5);
        List<List<String>> tables = Recount.compareIngestTables(db);
        for (int i = 0; i < tables.size(); i += 2) {
            assertEquals(tables.get(i + 1), tables.get(i), "ingest table " + i / 2 + " differs from email_events");
            assertFalse(tables.get(i).isEmpty());
        }
        assertEquals(db.count("SELECT count(*) FROM email_events"), db.count("SELECT count(DISTINCT event_id) FROM email_events"));
        String m = metrics();
        assertTrue(metric(m, "edge_ingest_requests_total{outcome=\"accepted\"}") >= 36, m);
        assertTrue(metric(m, "edge_ingest_lines_total{status=\"accepted\"}") >= 36 * 40);
        assertTrue(metric(m, "edge_http_requests_total{route=\"ingest\",status=\"202\"}") >= 36);
        assertTrue(metric(m, "edge_ingest_keys") >= 2);
    }
}
