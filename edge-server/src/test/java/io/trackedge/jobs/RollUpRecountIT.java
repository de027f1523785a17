package io.trackedge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trackedge.ingest.IngestKeyStore;
import io.trackedge.jobs.rollup.ReconciliationReport;
import io.trackedge.jobs.rollup.RollUpRecount;
import io.trackedge.jobs.rollup.RollUps;
import io.trackedge.journal.EventFields;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.Recount;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import io.trackedge.token.TokenSigner;
import io.trackedge.token.TrackingUrls;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The roll-ups end to end (issue 12): three tenants' email traffic through the real edge, pixels
 * and clicks over HTTP (HEAD requests as the machine opens and clicks) and sends, deliveries,
 * bounces, replies, unsubscribes, complaints and warm-up through POST /v1/events spread over three
 * days, written by the edge's Postgres sink; then every roll-up for every day, and each roll-up
 * table equal, column by column, to the recount from email_events in {@link RollUpRecount}, whose
 * queries are the reference. The daily reconciliation finds the sink's counters exact.
 */
class RollUpRecountIT {

    private static final UUID[] TENANTS = {
        UUID.fromString("51111111-1111-4111-8111-111111111111"),
        UUID.fromString("52222222-2222-4222-8222-222222222222"),
        UUID.fromString("53333333-3333-4333-8333-333333333333")};
    private static final UUID USER = UUID.fromString("5aaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa");
    private static final int EMAILS = 2400;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Random random = new Random(2026);
    private final List<ObjectNode> pending = new ArrayList<>();
    private long sentEvents;

    @Test
    void everyRollUpOfTrafficThroughHttpAndIngestEqualsARecountOfTheRawEvents() throws Exception {
        try (TestDatabase db = TestDatabase.create();
             Database admin = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 2)) {
            admin.migrate();
            String key = new IngestKeyStore(admin.dataSource()).create(null, "roll-up recount").secret();
            try (TestEdge edge = TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_URL", db.jdbcUrl(),
                    "EDGE_DATABASE_USER", "postgres", "EDGE_INGEST_KEY_REFRESH", "200ms");
                 RawHttp http = new RawHttp(edge.port())) {
                TrackingUrls urls = new TrackingUrls("http://t.example", new TokenSigner(TestEdge.KEYS));
                Instant now = Instant.now();
                for (int i = 0; i < EMAILS; i++) {
                    email(http, urls, key, now, i);
                }
                warmup(now);
                flush(http, key);
                io.trackedge.sink.testing.Await.until(sentEvents + " rows in email_events", Duration.ofSeconds(60),
                        () -> db.count("SELECT count(*) FROM email_events") >= sentEvents);
                assertEquals(sentEvents, db.count("SELECT count(*) FROM email_events"));
            }
            List<LocalDate> days = db.rows("SELECT DISTINCT (occurred_at AT TIME ZONE 'UTC')::date FROM email_events ORDER BY 1")
                    .stream().map(LocalDate::parse).toList();
            assertTrue(days.size() >= 3, "days " + days);
            try (Connection c = admin.dataSource().getConnection()) {
                for (RollUp r : RollUps.all()) {
                    for (LocalDate d : days) {
                        RollUps.runCommitted(c, r, Period.dayOf(d), null);
                    }
                }
                c.setAutoCommit(false);
                for (LocalDate d : days) {
                    for (ReconciliationReport report : RollUps.reconciliation().reconcile(c, Period.dayOf(d), null)) {
                        assertTrue(report.clean(), "the sink's daily counters drifted: " + report);
                    }
                }
                c.commit();
            }
            List<String> problems = RollUpRecount.differences(db);
            assertTrue(problems.isEmpty(), problems.size() + " differences: " + problems.subList(0, Math.min(20, problems.size())));
            for (RollUpRecount.Pair p : RollUpRecount.ALL) {
                assertEquals(db.rows(p.recount()), db.rows(p.fromTable()), p.table());
            }
            List<List<String>> daily = Recount.compare(db);
            assertEquals(daily.get(1), daily.get(0));
            for (String nonZero : List.of("opens_machine", "clicks_machine", "opened_machine", "opened_human", "clicked_human",
                    "bounces_hard", "bounces_soft", "replied", "unsubscribed", "spam_complaints", "completed_leads")) {
                assertTrue(db.count("SELECT sum(" + nonZero + ") FROM campaign_analytics") > 0, nonZero);
            }
            assertEquals(3, db.count("SELECT count(DISTINCT tenant_id) FROM billing_analytics"));
            assertTrue(db.count("SELECT count(*) FROM warmup_analytics") > 0);
        }
    }

    /** One email: its send and outcome through the ingest API, its opens and clicks through tracking URLs. */
    private void email(RawHttp http, TrackingUrls urls, String key, Instant now, int i) throws Exception {
        UUID tenant = TENANTS[i % 3];
        String campaign = "camp-" + i % 5;
        String mailbox = "sender-" + i % 4 + "@t" + i % 3 + ".example";
        String email = "em-" + i;
        String lead = "lead-" + i % 700;
        String step = String.valueOf(1 + i % 3);
        Instant sentAt = now.minus(i % 3, ChronoUnit.DAYS).minusSeconds(random.nextInt(600));
        ingest(http, key, line("sent", tenant, campaign, mailbox, email, lead, step, sentAt));
        if (random.nextInt(100) < 7) {
            ingest(http, key, line("bounced", tenant, campaign, mailbox, email, lead, step, sentAt.plusSeconds(5))
                    .put("bounce_type", random.nextBoolean() ? "hard" : "soft"));
            return;
        }
        ingest(http, key, line("delivered", tenant, campaign, mailbox, email, lead, step, sentAt.plusSeconds(5)));
        for (String type : List.of("replied", "unsubscribed", "complained")) {
            if (random.nextInt(100) < (type.equals("replied") ? 6 : 3)) {
                ingest(http, key, line(type, tenant, campaign, mailbox, email, lead, step, sentAt.plusSeconds(60)));
            }
        }
        EventFields f = new EventFields(tenant, USER, campaign, mailbox, email, lead, step, null);
        String pixel = urls.pixel(f).substring("http://t.example".length());
        int opens = random.nextInt(4);
        for (int k = 0; k < opens; k++) {
            request(http, random.nextInt(4) == 0 ? "HEAD" : "GET", pixel, 200);
        }
        if (random.nextInt(10) < 3) {
            String click = urls.click(f, "https://example.com/offer/" + i % 9, true).substring("http://t.example".length());
            request(http, random.nextInt(5) == 0 ? "HEAD" : "GET", click, 302);
        }
    }

    private void warmup(Instant now) {
        for (UUID tenant : TENANTS) {
            for (int m = 0; m < 4; m++) {
                for (int d = 0; d < 3; d++) {
                    int opens = random.nextInt(6);
                    int replies = random.nextInt(3);
                    for (int k = 0; k < opens + replies; k++) {
                        ObjectNode n = JSON.createObjectNode().put("type", k < opens ? "warmup_open" : "warmup_reply")
                                .put("tenant", tenant.toString()).put("user", USER.toString())
                                .put("mailbox", "sender-" + m + "@t" + m % 3 + ".example")
                                .put("partner_mailbox", "peer-" + k + "@warm.example")
                                .put("occurred_at", now.minus(d, ChronoUnit.DAYS).minusSeconds(random.nextInt(600)).toString());
                        pending.add(n);
                    }
                }
            }
        }
    }

    private static ObjectNode line(String type, UUID tenant, String campaign, String mailbox, String email, String lead,
                                   String step, Instant at) {
        return JSON.createObjectNode().put("type", type).put("tenant", tenant.toString()).put("user", USER.toString())
                .put("campaign", campaign).put("mailbox", mailbox).put("email", email).put("lead", lead).put("step", step)
                .put("occurred_at", at.toString());
    }

    private void ingest(RawHttp http, String key, ObjectNode line) throws Exception {
        pending.add(line);
        if (pending.size() == 500) {
            flush(http, key);
        }
    }

    /** Posts the pending ingest lines as one NDJSON request; every line must be accepted. */
    private void flush(RawHttp http, String key) throws Exception {
        if (pending.isEmpty()) {
            return;
        }
        StringBuilder body = new StringBuilder();
        for (ObjectNode n : pending) {
            body.append(n).append('\n');
        }
        byte[] b = body.toString().getBytes(StandardCharsets.UTF_8);
        // The edge loads ingest keys every 200 ms: the first request may come before the key.
        RawHttp.Response r = io.trackedge.sink.testing.Await.until("the edge to know the ingest key", Duration.ofSeconds(30), () -> {
            http.send(("POST /v1/events HTTP/1.1\r\nHost: t.example\r\nAuthorization: Bearer " + key
                    + "\r\nContent-Type: application/x-ndjson\r\nContent-Length: " + b.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            http.send(b);
            return http.read(false);
        }, response -> response.status() != 401);
        assertEquals(202, r.status(), r.bodyText());
        Map<?, ?> answer = JSON.readValue(r.body(), Map.class);
        assertEquals(pending.size(), ((Number) answer.get("accepted")).intValue(), r.bodyText());
        sentEvents += pending.size();
        pending.clear();
    }

    private void request(RawHttp http, String method, String path, int status) throws Exception {
        http.send(method + " " + path + " HTTP/1.1\r\nHost: t.example\r\nUser-Agent: Mozilla/5.0 (rollup test)\r\n\r\n");
        assertEquals(status, http.read(method.equals("HEAD")).status());
        sentEvents++;
    }
}
