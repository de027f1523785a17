package io.trackedge.ingest;

import static io.trackedge.ingest.IngestClient.TENANT;
import static io.trackedge.ingest.IngestClient.email;
import static io.trackedge.ingest.IngestClient.json;
import static io.trackedge.ingest.IngestClient.postNdjson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.trackedge.privacy.RecipientHash;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.FakePostHog;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v1/erasure} over real sockets against an edge writing to a fresh PostgreSQL: who may
 * erase whom, what is left afterwards, PostHog asked to delete the person (the fake), and an event
 * of the erased recipient arriving after the erasure stored nowhere.
 */
class ErasureApiIT {

    private static final UUID OTHER_TENANT = UUID.fromString("33333333-3333-4333-8333-333333333333");

    private static TestDatabase db;
    private static Database admin;
    private static TestEdge edge;
    private static FakePostHog posthog;
    private static String tenantKey;
    private static String otherKey;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabase.create();
        admin = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 1);
        admin.migrate();
        IngestKeyStore store = new IngestKeyStore(admin.dataSource());
        tenantKey = store.create(TENANT, "the tenant").secret();
        otherKey = store.create(OTHER_TENANT, "another tenant").secret();
        posthog = FakePostHog.start("phc_unused");
        edge = TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_URL", db.jdbcUrl(), "EDGE_DATABASE_USER", "postgres",
                "EDGE_INGEST_KEY_REFRESH", "200ms", "POSTHOG_API_HOST", posthog.host().toString(), "POSTHOG_PROJECT_ID", "77",
                "POSTHOG_PERSONAL_API_KEY", FakePostHog.PERSONAL_API_KEY);
        Await.until("the ingest keys are loaded", Duration.ofSeconds(30), () -> {
            try (RawHttp c = new RawHttp(edge.port())) {
                return postNdjson(c, tenantKey, List.of(email("sent", "probe", "probe", null))).status() == 202;
            }
        });
    }

    @AfterAll
    static void stop() throws Exception {
        if (edge != null) {
            edge.close();
        }
        posthog.close();
        admin.close();
        db.close();
    }

    private static RawHttp.Response erase(String method, String key, String query) throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            c.send(method + " /v1/erasure" + query + " HTTP/1.1\r\nHost: t\r\n"
                    + (key == null ? "" : "Authorization: Bearer " + key + "\r\n") + "Content-Length: 0\r\n\r\n");
            RawHttp.Response r = c.read(false);
            assertEquals("close", r.header("connection"));
            return r;
        }
    }

    private static long rows(String emailId) throws Exception {
        return db.count("SELECT (SELECT count(*) FROM email_events WHERE email_id = '" + emailId + "') "
                + "+ (SELECT count(*) FROM email_opens WHERE email_id = '" + emailId + "') "
                + "+ (SELECT count(*) FROM email_bounces WHERE email_id = '" + emailId + "')");
    }

    @Test
    void aTenantsKeyErasesItsRecipientAndNothingOfItComesBack() throws Exception {
        try (RawHttp c = new RawHttp(edge.port())) {
            assertEquals(200, c.get(edge.pixelPath("api-erase")).status());
            assertEquals(202, postNdjson(c, tenantKey, List.of(email("sent", "camp-1", "api-erase", UUID.randomUUID()),
                    email("bounced", "camp-1", "api-erase", UUID.randomUUID()))).status());
            assertEquals(200, c.get(edge.pixelPath("api-keep")).status());
        }
        Await.until("the sink wrote the recipient's rows", Duration.ofSeconds(30), () -> rows("api-erase") == 5
                && rows("api-keep") == 2);

        String q = "?tenant=" + TENANT + "&email_id=api-erase";
        assertEquals(401, erase("POST", null, q).status());
        assertEquals(401, erase("POST", "tek_notakey0000000000000000000000000", q).status());
        assertEquals(403, erase("POST", otherKey, q).status(), "a key of another tenant");
        assertEquals(405, erase("GET", tenantKey, q).status());
        assertEquals(400, erase("POST", tenantKey, "?tenant=" + TENANT).status());
        assertEquals(400, erase("POST", tenantKey, "?tenant=nope&email_id=api-erase").status());
        // UUID.fromString's lenient form would name a tenant by a second spelling
        RawHttp.Response lenient = erase("POST", tenantKey, "?tenant=1-1-1-1-1&email_id=api-erase");
        assertEquals(400, lenient.status(), lenient.bodyText());
        assertTrue(lenient.bodyText().contains("tenant: a UUID is required"), lenient.bodyText());
        RawHttp.Response badEscape = erase("POST", tenantKey, "?tenant=" + TENANT + "&email_id=%zz");
        assertEquals(400, badEscape.status(), badEscape.bodyText());
        // U+0000: a 400 (no stored id can hold it), not the 503 "retry" of a failed erasure
        RawHttp.Response nul = erase("POST", tenantKey, "?tenant=" + TENANT + "&email_id=%00abc");
        assertEquals(400, nul.status(), nul.bodyText());
        assertTrue(nul.bodyText().contains("U+0000"), nul.bodyText());
        assertTrue(badEscape.bodyText().contains("cannot be decoded"), badEscape.bodyText());
        // A '+' typed as is: a query string's '+' decodes to a space, and message ids often hold a '+'. Before,
        // "api+erase" erased "api erase", nobody, and answered 200.
        for (String query : new String[] {"?tenant=" + TENANT + "&email_id=api+erase", "?tenant=" + TENANT + ";email_id=api+erase",
                "?tenant=" + TENANT + "&email%5Fid=api+erase"}) { // a ';' separates parameters too, and names are decoded
            RawHttp.Response plus = erase("POST", tenantKey, query);
            assertEquals(400, plus.status(), query + ": " + plus.bodyText());
            assertTrue(plus.bodyText().contains("%2B"), plus.bodyText());
        }
        assertEquals(0, db.count("SELECT count(*) FROM erasure_audit WHERE email_hash = decode('"
                + RecipientHash.hex(TENANT, "api erase") + "', 'hex')"), "not audited either");
        assertEquals(5, rows("api-erase"), "no refused request erased anything");

        RawHttp.Response r = erase("POST", tenantKey, q);
        assertEquals(200, r.status(), r.bodyText());
        JsonNode body = json(r);
        assertEquals(3, body.path("deleted").path("email_events").asInt(), r.bodyText());
        assertEquals("requested", body.path("posthog").asText());
        assertFalse(body.path("aggregates_adjusted").asBoolean(true));
        assertEquals(0, rows("api-erase"));
        assertEquals(2, rows("api-keep"));
        assertEquals(List.of(new FakePostHog.PersonDeletionCall("77", List.of("api-erase"), true)), posthog.personDeletions());
        assertEquals(1, db.count("SELECT count(*) FROM erasure_audit WHERE email_hash = decode('"
                + RecipientHash.hex(TENANT, "api-erase") + "', 'hex') AND requested_by LIKE 'api:tek_%' AND posthog = 'requested'"));

        // An email id that is a UUID could be any tenant's sender in PostHog (the sink's distinct ids are the
        // senders' user UUIDs): the rows are erased, PostHog is not asked to delete that person and its events.
        RawHttp.Response uuid = erase("POST", tenantKey, "?tenant=" + TENANT + "&email_id=" + TestEdge.USER);
        assertEquals(200, uuid.status(), uuid.bodyText());
        assertTrue(json(uuid).path("posthog").asText().startsWith("skipped: the email id is a UUID"), uuid.bodyText());
        assertEquals(1, posthog.personDeletions().size(), "no second deletion asked of PostHog");
        RawHttp.Response encoded = erase("POST", tenantKey, "?tenant=" + TENANT + "&email_id=api%2Bnobody");
        assertEquals(200, encoded.status(), encoded.bodyText());
        assertEquals(1, db.count("SELECT count(*) FROM erasure_audit WHERE email_hash = decode('"
                + RecipientHash.hex(TENANT, "api+nobody") + "', 'hex')"), "%2B is the id's '+'");

        // A late open of the erased recipient (a mail client opening the email again): journaled, never stored.
        try (RawHttp c = new RawHttp(edge.port())) {
            assertEquals(200, c.get(edge.pixelPath("api-erase")).status());
            assertEquals(200, c.get(edge.pixelPath("api-after")).status());
        }
        Await.until("the sink passed the late open", Duration.ofSeconds(30), () -> rows("api-after") == 2);
        assertEquals(0, rows("api-erase"));
        assertTrue(db.count("SELECT opens_total FROM daily_analytics WHERE tenant_id = '" + TENANT + "' AND campaign_id = 'camp-1'") >= 3,
                "the late open is still counted");
    }
}
