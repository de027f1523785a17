package io.trackedge.sink.posthog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trackedge.journal.Attributes;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class PostHogEventsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final UUID TENANT = UUID.fromString("11111111-1111-4111-8111-111111111111");
    private static final UUID USER = UUID.fromString("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa");
    private static final EventFields FIELDS = new EventFields(TENANT, USER, "camp-1", "mbox-1", "email-1", "lead-1", "step-2", null);

    private static EventRecord record(EventType type, int flags, byte[] ip, String url, Map<String, String> attributes) {
        return new EventRecord(UUID.fromString("0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"), type, flags, 1_764_065_730_123_456L,
                ip, "Mozilla/5.0", FIELDS, url, attributes);
    }

    private static JsonNode encode(EventRecord e, boolean sendIp) throws Exception {
        return JSON.readTree(PostHogEvents.encode(e, sendIp));
    }

    @Test
    void eachEventTypeHasTheProductDocumentsName() {
        assertEquals("email_opened", PostHogEvents.eventName(EventType.OPEN));
        assertEquals("email_clicked", PostHogEvents.eventName(EventType.CLICK));
        assertEquals("email_sent", PostHogEvents.eventName(EventType.SENT));
        assertEquals("email_delivered", PostHogEvents.eventName(EventType.DELIVERED));
        assertEquals("email_bounced", PostHogEvents.eventName(EventType.BOUNCED));
        assertEquals("email_replied", PostHogEvents.eventName(EventType.REPLIED));
        assertEquals("email_unsubscribed", PostHogEvents.eventName(EventType.UNSUBSCRIBED));
        assertEquals("email_complained", PostHogEvents.eventName(EventType.COMPLAINED));
        assertEquals("warmup_interaction", PostHogEvents.eventName(EventType.WARMUP_OPEN));
        assertEquals("warmup_interaction", PostHogEvents.eventName(EventType.WARMUP_REPLY));
    }

    @Test
    void anOpenCarriesTheUserTheEventIdItsTimeAndTheIdentifiers() throws Exception {
        JsonNode j = encode(record(EventType.OPEN, 0, new byte[] {(byte) 203, 0, 113, 7}, null, Map.of()), false);
        assertEquals("email_opened", j.get("event").asText());
        assertEquals(USER.toString(), j.get("distinct_id").asText());
        assertEquals("0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b", j.get("uuid").asText());
        assertEquals("2025-11-25T10:15:30.123456Z", j.get("timestamp").asText());
        assertEquals(Instant.ofEpochSecond(1_764_065_730L, 123_456_000L), Instant.parse(j.get("timestamp").asText()));
        JsonNode p = j.get("properties");
        assertEquals(TENANT.toString(), p.get("tenant_id").asText());
        assertEquals("camp-1", p.get("campaign_id").asText());
        assertEquals("mbox-1", p.get("mailbox_id").asText());
        assertEquals("email-1", p.get("email_id").asText());
        assertEquals("lead-1", p.get("lead_id").asText());
        assertEquals("step-2", p.get("step_id").asText());
        assertFalse(p.get("is_machine").asBoolean());
        assertFalse(p.has("machine_reason"));
        assertFalse(p.has("$ip"), "no IP unless send-ip is on");
        assertTrue(p.get("$geoip_disable").asBoolean(), "without an IP PostHog must not locate the event at the edge");
    }

    @Test
    void theClientAddressIsSentOnlyWhenAskedFor() throws Exception {
        JsonNode v4 = encode(record(EventType.OPEN, 0, new byte[] {(byte) 203, 0, 113, 7}, null, Map.of()), true);
        assertEquals("203.0.113.7", v4.get("properties").get("$ip").asText());
        assertFalse(v4.get("properties").has("$geoip_disable"));
        byte[] v6 = new byte[16];
        v6[0] = 0x20;
        v6[1] = 0x01;
        v6[2] = 0x0d;
        v6[3] = (byte) 0xb8;
        v6[15] = 1;
        assertEquals("2001:db8:0:0:0:0:0:1", encode(record(EventType.OPEN, 0, v6, null, Map.of()), true)
                .get("properties").get("$ip").asText());
        JsonNode none = encode(record(EventType.OPEN, 0, new byte[0], null, Map.of()), true);
        assertFalse(none.get("properties").has("$ip"));
        assertTrue(none.get("properties").get("$geoip_disable").asBoolean());
    }

    @Test
    void typeSpecificPropertiesFollowTheProductDocument() throws Exception {
        JsonNode click = encode(record(EventType.CLICK, EventRecord.FLAG_HEAD, new byte[0], "https://example.com/a?b=c", Map.of()), false)
                .get("properties");
        assertEquals("https://example.com/a?b=c", click.get("clicked_url").asText());
        assertTrue(click.get("is_machine").asBoolean());
        assertEquals("head_request", click.get("machine_reason").asText());

        JsonNode bounce = encode(record(EventType.BOUNCED, 0, new byte[0], null,
                Map.of("bounce_type", "hard", "reason", "550 5.1.1 \"no such user\"\n(é)")), false).get("properties");
        assertEquals("hard", bounce.get("bounce_type").asText());
        assertEquals("550 5.1.1 \"no such user\"\n(é)", bounce.get("reason").asText());

        JsonNode reply = encode(record(EventType.REPLIED, 0, new byte[0], null, Map.of("message_id", "<1@mx.example.com>")), false);
        assertEquals("email_replied", reply.get("event").asText());
        assertEquals("<1@mx.example.com>", reply.get("properties").get("message_id").asText());

        JsonNode warm = encode(record(EventType.WARMUP_REPLY, EventRecord.FLAG_MACHINE, new byte[0], null,
                Map.of("partner_mailbox", "peer@example.org")), false).get("properties");
        assertEquals("reply", warm.get("interaction_type").asText());
        assertEquals("peer@example.org", warm.get("partner_mailbox").asText());
        assertEquals("machine_user_agent", warm.get("machine_reason").asText());
        assertEquals("open", encode(record(EventType.WARMUP_OPEN, 0, new byte[0], null, Map.of()), false)
                .get("properties").get("interaction_type").asText());
    }

    @Test
    void attributesCannotOverrideOurPropertiesOrSetPostHogsOwn() throws Exception {
        JsonNode p = encode(record(EventType.SENT, 0, new byte[0], null,
                Map.of("tenant_id", "forged", "$set", "{}", "$ip", "1.2.3.4", "recipient_email", "lead@example.com")), false)
                .get("properties");
        assertEquals(TENANT.toString(), p.get("tenant_id").asText());
        assertFalse(p.has("$set"));
        assertFalse(p.has("$ip"));
        assertEquals("lead@example.com", p.get("recipient_email").asText());
    }

    /** The sink's marks of how an id was chosen stay out of PostHog: they describe the edge, not the event. */
    @Test
    void aOneClickUnsubscribesMarksAreNotSent() throws Exception {
        JsonNode p = encode(record(EventType.UNSUBSCRIBED, 0, new byte[0], null, Map.of(Attributes.ID_SOURCE,
                Attributes.ID_SOURCE_CLIENT, Attributes.ONE_CLICK, Attributes.ONE_CLICK_YES)), false).get("properties");
        assertFalse(p.has(Attributes.ID_SOURCE), p.toString());
        assertFalse(p.has(Attributes.ONE_CLICK), p.toString());
    }

    @Test
    void missingOptionalIdentifiersAreLeftOut() throws Exception {
        EventFields bare = new EventFields(TENANT, USER, "c", "m", "e", null, null, "https://inline.example.com/x");
        EventRecord click = new EventRecord(UUID.randomUUID(), EventType.CLICK, 0, 0, new byte[0], "", bare, null, Map.of());
        JsonNode p = JSON.readTree(PostHogEvents.encode(click, false)).get("properties");
        assertFalse(p.has("lead_id"));
        assertFalse(p.has("step_id"));
        assertEquals("https://inline.example.com/x", p.get("clicked_url").asText(), "an inline click URL is the destination");
        assertEquals("1970-01-01T00:00:00Z", JSON.readTree(PostHogEvents.encode(click, false)).get("timestamp").asText());
    }

    @Test
    void anyTextSurvivesTheRoundTrip() throws Exception {
        String nasty = "quote\" back\\slash \u0000\u001f tab\t emoji \uD83D\uDCE7 lone \uD800 end";
        EventFields f = new EventFields(TENANT, USER, nasty, "m", "e", null, null, null);
        EventRecord e = new EventRecord(UUID.randomUUID(), EventType.OPEN, 0, 0, new byte[0], "", f, null, Map.of());
        JsonNode p = JSON.readTree(PostHogEvents.encode(e, false)).get("properties");
        assertEquals(nasty.replace('\uD800', '\uFFFD'), p.get("campaign_id").asText());
    }
}
