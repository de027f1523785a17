package io.trackedge.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trackedge.journal.Attributes;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventType;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.MutableEvent;
import io.trackedge.journal.RecordCodec;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every rule of a line, and what a valid line becomes in the journal. */
class IngestLineValidatorTest {

    private static final UUID TENANT = UUID.fromString("0f8fad5b-d9cb-469f-a165-70867728950e");
    private static final UUID OTHER = UUID.fromString("11111111-1111-4111-8111-111111111111");
    private static final UUID USER = UUID.fromString("7c9e6679-7425-40de-944b-e07fc1f90ae7");
    private static final IngestKeyCache.Principal ALL = new IngestKeyCache.Principal(UUID.randomUUID(), "tek_aaaaaaaa", null);
    private static final IngestKeyCache.Principal ONE = new IngestKeyCache.Principal(UUID.randomUUID(), "tek_bbbbbbbb", TENANT);
    private static final long NOW = Instant.parse("2026-11-25T12:00:00Z").toEpochMilli();

    private final LineValidator validator = new LineValidator();

    private static ObjectNode email(String type) {
        ObjectNode n = BodyParser.MAPPER.createObjectNode();
        n.put("type", type).put("tenant", TENANT.toString()).put("user", USER.toString())
                .put("campaign", "camp-1").put("mailbox", "mbox-1").put("email", "email-1");
        return n;
    }

    private static ObjectNode warmup(String type) {
        ObjectNode n = BodyParser.MAPPER.createObjectNode();
        n.put("type", type).put("tenant", TENANT.toString()).put("user", USER.toString()).put("mailbox", "warm-1")
                .put("partner_mailbox", "peer@example.org");
        return n;
    }

    /** Runs the event through the journal codec, as the sink will see it. */
    private static EventRecord journaled(IngestEvent e) {
        MutableEvent m = new MutableEvent();
        m.reset(e.type(), e.id().getMostSignificantBits(), e.id().getLeastSignificantBits(), e.occurredAtMicros());
        m.fields(e.fields(), 0, e.fields().length);
        m.ext(e.ext(), 0, e.ext().length);
        ByteBuffer b = ByteBuffer.allocate(m.encodedSizeBound());
        RecordCodec.encode(m, b);
        return RecordCodec.decode(b.array(), 0, b.position());
    }

    private Rejection rejected(ObjectNode n, IngestKeyCache.Principal p) {
        return assertInstanceOf(Rejection.class, validator.validate(n, p, NOW));
    }

    private IngestEvent accepted(ObjectNode n) {
        return assertInstanceOf(IngestEvent.class, validator.validate(n, ALL, NOW));
    }

    @Test
    void aBounceBecomesTheFieldBlockAndAttributesOfATrackingEvent() {
        ObjectNode n = email("bounced").put("bounce_type", "hard").put("bounce_reason", "550 no such user")
                .put("lead", "lead-9").put("step", "2").put("occurred_at", "2026-11-25T11:30:00.123456Z");
        EventRecord r = journaled(accepted(n));
        assertEquals(EventType.BOUNCED, r.type());
        assertEquals(new EventFields(TENANT, USER, "camp-1", "mbox-1", "email-1", "lead-9", "2", null), r.fields());
        assertEquals(Map.of(Attributes.BOUNCE_TYPE, "hard", Attributes.BOUNCE_REASON, "550 no such user"), r.attributes());
        assertEquals(Instant.parse("2026-11-25T11:30:00.123456Z").toEpochMilli() * 1000 + 456, r.occurredAtMicros());
        assertEquals(7, r.id().version(), "no id given: the edge makes a UUIDv7");
        assertEquals(NOW, r.id().getMostSignificantBits() >>> 16, "v7 time is now");
    }

    @Test
    void aClientIdIsKeptAndMarkedSoTheSinkWritesItOnce() {
        UUID id = UUID.fromString("b3f1c9a2-4d5e-4f60-8a7b-9c0d1e2f3a4b");
        EventRecord r = journaled(accepted(email("replied").put("id", id.toString()).put("message_id", "<r@x>")));
        assertEquals(id, r.id());
        assertEquals(Map.of(Attributes.MESSAGE_ID, "<r@x>", Attributes.ID_SOURCE, Attributes.ID_SOURCE_CLIENT), r.attributes());
        assertTrue(Attributes.hasClientId(r));
        assertEquals(NOW * 1000, r.occurredAtMicros(), "no occurred_at: now");
    }

    @Test
    void warmUpEventsCarryTheirMailboxAndThePlaceholders() {
        EventRecord r = journaled(accepted(warmup("warmup_reply")));
        assertEquals(EventType.WARMUP_REPLY, r.type());
        assertEquals(new EventFields(TENANT, USER, EventFields.ABSENT, "warm-1", EventFields.ABSENT, null, null, null), r.fields());
        assertEquals(Map.of(Attributes.PARTNER_MAILBOX, "peer@example.org"), r.attributes());
        ObjectNode open = warmup("warmup_open");
        open.remove("partner_mailbox");
        assertTrue(journaled(accepted(open)).attributes().isEmpty(), "a warm-up open may omit its partner");
        for (String t : new String[] {"sent", "delivered", "unsubscribed", "complained"}) {
            assertEquals(t, journaled(accepted(email(t))).type().wireName());
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "no type            | type             | missing",
        "unknown type       | type             | unknown type",
        "long type          | type             | unknown type",
        "an open            | type             | opens and clicks come from tracking URLs, not this API",
        "no tenant          | tenant           | missing",
        "bad tenant         | tenant           | not a UUID",
        "urn tenant         | tenant           | not a UUID",
        "numeric user       | user             | must be a string",
        "no email           | email            | missing",
        "empty campaign     | campaign         | must not be empty",
        "long mailbox       | mailbox          | longer than 255 bytes",
        "NUL in lead        | lead             | 'contains U+0000 (NUL) at character 2, which PostgreSQL text cannot hold'",
        "NUL in type        | type             | 'contains U+0000 (NUL) at character 5, which PostgreSQL text cannot hold'",
        "NUL in reason      | bounce_reason    | 'contains U+0000 (NUL) at character 1, which PostgreSQL text cannot hold'",
        "surrogate in email | email            | 'contains a lone surrogate (U+D800) at character 2, which is not Unicode text'",
        "low surrogate      | mailbox          | 'contains a lone surrogate (U+DC00) at character 1, which is not Unicode text'",
        "swapped pair       | campaign         | 'contains a lone surrogate (U+DC00) at character 1, which is not Unicode text'",
        "bad id             | id               | not a UUID",
        "braced id          | id               | not a UUID",
        "nil id             | id               | must not be the nil UUID",
        "future             | occurred_at      | more than 5 minutes in the future",
        "ancient            | occurred_at      | more than 30 days in the past",
        "not a date         | occurred_at      | 'not an ISO-8601 date-time with offset, like 2026-01-31T12:00:00Z'",
        "long date          | occurred_at      | 'not an ISO-8601 date-time with offset, like 2026-01-31T12:00:00Z'",
        "bounce no type     | bounce_type      | missing",
        "bounce bad type    | bounce_type      | must be hard or soft",
        "bounce Permanent   | bounce_type      | must be hard or soft",
        "bounce huge        | bounce_type      | must be hard or soft",
        "reason on a sent   | bounce_reason    | not used by sent events",
        "campaign on warmup | campaign         | not used by warmup_open events",
        "reply no partner   | partner_mailbox  | missing",
        "other tenant       | tenant           | not allowed for this key",
    })
    void eachProblemNamesItsFieldAndReason(String problem, String field, String reason) {
        ObjectNode n = problem.contains("warmup") || problem.contains("partner") ? warmup("warmup_open") : email("sent");
        switch (problem) {
            case "no type" -> n.remove("type");
            case "unknown type" -> n.put("type", "opened");
            case "long type" -> n.put("type", "email_delivered_to_the_recipient_mailbox"); // over 32 bytes
            case "an open" -> n.put("type", "open");
            case "no tenant" -> n.remove("tenant");
            case "bad tenant" -> n.put("tenant", "0f8fad5b-d9cb-469f-a165-70867728950");
            case "urn tenant" -> n.put("tenant", "urn:uuid:" + TENANT);
            case "numeric user" -> n.put("user", 42);
            case "no email" -> n.remove("email");
            case "empty campaign" -> n.put("campaign", "");
            case "long mailbox" -> n.put("mailbox", "é".repeat(128));
            case "NUL in lead" -> n.put("lead", "a\u0000b");
            case "NUL in type" -> n.put("type", "sent\u0000");
            case "NUL in reason" -> n.put("type", "bounced").put("bounce_type", "soft").put("bounce_reason", "\u0000");
            case "surrogate in email" -> n.put("email", "x\ud800y");
            case "low surrogate" -> n.put("mailbox", "\udc00");
            case "swapped pair" -> n.put("campaign", "\udc00\ud800");
            case "bad id" -> n.put("id", "1-2-3-4-5");
            case "braced id" -> n.put("id", "{" + UUID.randomUUID() + "}");
            case "nil id" -> n.put("id", "00000000-0000-0000-0000-000000000000");
            case "future" -> n.put("occurred_at", "2026-11-25T12:06:00Z");
            case "ancient" -> n.put("occurred_at", "2026-10-25T11:59:00Z");
            case "not a date" -> n.put("occurred_at", "2026-11-25");
            case "long date" -> n.put("occurred_at", "2026-11-25T12:00:00Z".repeat(4)); // over 64 bytes
            case "bounce no type" -> n.put("type", "bounced");
            case "bounce bad type" -> n.put("type", "bounced").put("bounce_type", "HARD");
            case "bounce Permanent" -> n.put("type", "bounced").put("bounce_type", "Permanent");
            case "bounce huge" -> n.put("type", "bounced").put("bounce_type", "x".repeat(100_000));
            case "reason on a sent" -> n.put("bounce_reason", "x");
            case "campaign on warmup" -> n.put("campaign", "c");
            case "reply no partner" -> {
                n.put("type", "warmup_reply");
                n.remove("partner_mailbox");
            }
            case "other tenant" -> n.put("tenant", OTHER.toString());
            default -> throw new IllegalArgumentException(problem);
        }
        Rejection r = rejected(n, problem.equals("other tenant") ? ONE : ALL);
        assertEquals(field, r.field());
        assertEquals(reason, r.reason());
    }

    /** Defect 11: {@code "email":"x\\ud800y"} was answered 202 and stored as {@code x?y}. */
    @Test
    void aLoneSurrogateEscapeInTheJsonTextIsRefusedAndAPairIsKept() throws Exception {
        String line = email("sent").toString();
        String lone = line.replace("\"email\":\"", "\"email\":\"x\\ud800y");
        Rejection r = rejected((ObjectNode) BodyParser.MAPPER.readTree(lone), ALL);
        assertEquals("email", r.field());
        assertTrue(r.reason().contains("lone surrogate (U+D800)"), r.reason());
        String pair = line.replace("\"email\":\"", "\"email\":\"x\\ud83c\\udf38y");
        assertEquals("x\ud83c\udf38y" + email("sent").get("email").textValue(),
                journaled(accepted((ObjectNode) BodyParser.MAPPER.readTree(pair))).fields().email());
    }

    @Test
    void boundariesAndLeniencies() {
        accepted(email("sent").put("mailbox", "é".repeat(127) + "a")); // 255 bytes
        accepted(email("sent").put("occurred_at", "2026-11-25T14:04:00+02:00")); // an offset, 4 min ahead
        accepted(email("sent").put("occurred_at", "2026-10-26T12:00:00Z"));
        accepted(email("sent").put("unknown_field", 1).putNull("lead")); // unknown fields ignored; null = absent
        assertInstanceOf(IngestEvent.class, validator.validate(email("sent"), ONE, NOW), "a key may write its own tenant");
        Rejection r = rejected(BodyParser.MAPPER.createObjectNode(), ALL);
        assertEquals("type", r.field());
    }

    @Test
    void rawEventsKeptAShorterTimeNarrowTheWindowAndSaySo() {
        LineValidator week = new LineValidator(7);
        // 7 days less the landing margin before NOW (2026-11-25T12:00Z)
        assertInstanceOf(IngestEvent.class, week.validate(email("sent").put("occurred_at", "2026-11-18T14:00:00Z"), ALL, NOW));
        Rejection r = assertInstanceOf(Rejection.class,
                week.validate(email("sent").put("occurred_at", "2026-11-18T13:59:59Z"), ALL, NOW));
        assertEquals("occurred_at", r.field());
        assertEquals("more than 166 hours in the past: raw events are kept 7 days (edge.database.retention-days)", r.reason());
        // kept longer than the API's window: the window is the API's
        LineValidator quarter = new LineValidator(90);
        assertInstanceOf(IngestEvent.class, quarter.validate(email("sent").put("occurred_at", "2026-10-26T12:00:00Z"), ALL, NOW));
        assertEquals("more than 30 days in the past", assertInstanceOf(Rejection.class,
                quarter.validate(email("sent").put("occurred_at", "2026-10-26T11:59:59Z"), ALL, NOW)).reason());
    }

    /**
     * The Postgres sink sets aside an event whose day is before the day an hour from its own now, less
     * the days kept (RetentionCutoff, an hour ahead of the retention job's drop): the oldest event
     * accepted must still be taken when the sink writes it up to an hour later, at any time of day and
     * for any retention. Before, with one hour of margin, one accepted in the last hour before 23:00 UTC
     * and written after it was set aside (code retention), never counted.
     */
    @Test
    void theOldestEventAcceptedLandsInADayRetentionStillKeeps() {
        java.time.Duration sinkMargin = java.time.Duration.ofHours(1); // RetentionCutoff.MARGIN
        for (int kept = 1; kept <= 31; kept++) {
            for (long minute = 0; minute < 24 * 60; minute += 5) {
                Instant now = Instant.parse("2026-11-25T00:00:00Z").plus(java.time.Duration.ofMinutes(minute));
                Instant oldest = now.minus(LineValidator.maxPast(kept));
                for (java.time.Duration lag : new java.time.Duration[] {java.time.Duration.ZERO, java.time.Duration.ofMinutes(59)}) {
                    java.time.LocalDate sinkToday = now.plus(lag).plus(sinkMargin).atZone(java.time.ZoneOffset.UTC).toLocalDate();
                    java.time.LocalDate oldestDay = oldest.atZone(java.time.ZoneOffset.UTC).toLocalDate();
                    assertTrue(!oldestDay.isBefore(sinkToday.minusDays(kept)), "kept " + kept + " days, accepted at " + now
                            + ", written " + lag + " later: an event of " + oldest + " would be set aside");
                }
            }
        }
        assertEquals(java.time.Duration.ofDays(30), LineValidator.maxPast(0), "kept forever: the API's own window");
    }

    @Test
    void aLineThatIsNotAnObjectIsRejectedWhole() {
        Object r = validator.validate(BodyParser.MAPPER.getNodeFactory().textNode("sent"), ALL, NOW);
        Rejection rej = assertInstanceOf(Rejection.class, r);
        assertNull(rej.field());
        assertEquals("not a JSON object", rej.reason());
    }
}
