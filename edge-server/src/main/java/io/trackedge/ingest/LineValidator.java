package io.trackedge.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import io.trackedge.journal.Attributes;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventType;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.journal.RecordCodec;
import io.trackedge.ring.EventIds;
import io.trackedge.token.StoredText;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Checks one event object of an ingest request and encodes it for the journal, or says which field
 * is wrong and why. The rules (docs/ingest.md):
 *
 * <ul>
 *   <li>every event: {@code type}; {@code tenant} and {@code user} (UUIDs; the tenant must be one
 *       the key may write); optional {@code id} (a UUID the client chose, so a retry is counted
 *       once) and {@code occurred_at} (ISO-8601, at most {@link #MAX_FUTURE} ahead and
 *       {@link #MAX_PAST} back, or less when raw events are kept a shorter time ({@link #maxPast});
 *       default: now);</li>
 *   <li>email events ({@code sent delivered bounced replied unsubscribed complained}):
 *       {@code campaign mailbox email}, optional {@code lead step};
 *       {@code bounced} also {@code bounce_type} (hard|soft) and optional {@code bounce_reason};
 *       {@code replied} optional {@code message_id};</li>
 *   <li>warm-up events ({@code warmup_open warmup_reply}): {@code mailbox}; {@code partner_mailbox},
 *       required for a reply. Campaign and email are journaled as {@link EventFields#ABSENT}.</li>
 * </ul>
 *
 * A field of this API that the event's type does not use is rejected (it would be lost); fields
 * the API does not know are ignored. The first problem found is the one reported.
 */
final class LineValidator {

    static final Duration MAX_FUTURE = Duration.ofMinutes(5);
    static final Duration MAX_PAST = Duration.ofDays(30);
    /**
     * How much younger than the days kept an accepted event must be: the Postgres sink sets aside an
     * event whose day the retention job drops within the hour (its {@code RetentionCutoff.MARGIN}), and
     * an accepted event may take up to an hour more to reach the sink.
     */
    static final Duration LANDING_MARGIN = Duration.ofHours(2);
    static final int MAX_ID_BYTES = FieldsCodec.MAX_STR8;
    static final int MAX_REASON_BYTES = 1000;
    static final int MAX_MESSAGE_ID_BYTES = 998;

    private static final String UNKNOWN_TYPE = "unknown type";
    private static final String NOT_A_UUID = "not a UUID";
    private static final String NOT_A_DATE = "not an ISO-8601 date-time with offset, like 2026-01-31T12:00:00Z";
    private static final String HARD_OR_SOFT = "must be hard or soft";

    private static final Map<String, EventType> TYPES = Map.of(
            "sent", EventType.SENT, "delivered", EventType.DELIVERED, "bounced", EventType.BOUNCED,
            "replied", EventType.REPLIED, "unsubscribed", EventType.UNSUBSCRIBED, "complained", EventType.COMPLAINED,
            "warmup_open", EventType.WARMUP_OPEN, "warmup_reply", EventType.WARMUP_REPLY);
    private static final List<String> EMAIL_FIELDS = List.of("campaign", "mailbox", "email", "lead", "step");
    /** Every field of the API beyond type, id, occurred_at, tenant and user, in the order they are checked. */
    private static final List<String> TYPED_FIELDS = List.of("campaign", "mailbox", "email", "lead", "step",
            "bounce_type", "bounce_reason", "message_id", "partner_mailbox");

    /** Thrown at the first problem of a line; carries no stack trace. */
    private static final class Invalid extends RuntimeException {
        final Rejection rejection;

        Invalid(String field, String reason) {
            super(reason, null, false, false);
            this.rejection = new Rejection(field, reason);
        }
    }

    private final Duration maxPast;
    private final String tooOld;

    /** Accepts events up to {@link #MAX_PAST} back: raw events kept forever, or at least that long. */
    LineValidator() {
        this(0);
    }

    /** @param retentionDays {@code edge.database.retention-days}; 0 keeps raw events forever */
    LineValidator(int retentionDays) {
        this.maxPast = maxPast(retentionDays);
        this.tooOld = maxPast.equals(MAX_PAST) ? "more than " + MAX_PAST.toDays() + " days in the past"
                : "more than " + maxPast.toHours() + " hours in the past: raw events are kept " + retentionDays
                        + (retentionDays == 1 ? " day" : " days") + " (edge.database.retention-days)";
    }

    /**
     * How far back {@code occurred_at} may lie. Within {@link #MAX_PAST}, and when raw events are kept
     * for {@code retentionDays}, within that less {@link #LANDING_MARGIN}: the retention job drops a
     * day's partition {@code retentionDays} after the day, and an event older than that would land in
     * the default partition, past retention, where its day's roll-ups, recounted for it, would keep
     * only it; and the ids that let a retry count once are forgotten after the same time.
     */
    static Duration maxPast(int retentionDays) {
        if (retentionDays <= 0) {
            return MAX_PAST;
        }
        Duration kept = Duration.ofDays(retentionDays).minus(LANDING_MARGIN);
        return kept.compareTo(MAX_PAST) < 0 ? kept : MAX_PAST;
    }

    /** @return an {@link IngestEvent}, or the {@link Rejection} of the line */
    Object validate(JsonNode line, IngestKeyCache.Principal principal, long nowMillis) {
        try {
            return event(line, principal, nowMillis);
        } catch (Invalid e) {
            return e.rejection;
        }
    }

    private IngestEvent event(JsonNode line, IngestKeyCache.Principal principal, long nowMillis) {
        if (!line.isObject()) {
            throw new Invalid(null, "not a JSON object");
        }
        String typeName = text(line, "type", true, 32, UNKNOWN_TYPE);
        EventType type = TYPES.get(typeName);
        if (type == null) {
            throw new Invalid("type", "open".equals(typeName) || "click".equals(typeName)
                    ? "opens and clicks come from tracking URLs, not this API" : UNKNOWN_TYPE);
        }
        String idText = text(line, "id", false, 36, NOT_A_UUID);
        UUID id = idText == null ? null : uuid("id", idText);
        if (id != null && id.getMostSignificantBits() == 0 && id.getLeastSignificantBits() == 0) {
            throw new Invalid("id", "must not be the nil UUID");
        }
        long micros = occurredAt(text(line, "occurred_at", false, 64, NOT_A_DATE), nowMillis);
        UUID tenant = uuid("tenant", text(line, "tenant", true, 36, NOT_A_UUID));
        if (!principal.allows(tenant)) {
            throw new Invalid("tenant", "not allowed for this key");
        }
        UUID user = uuid("user", text(line, "user", true, 36, NOT_A_UUID));
        Set<String> used;
        EventFields fields;
        Map<String, String> attributes = new LinkedHashMap<>();
        if (type.isWarmup()) {
            String mailbox = text(line, "mailbox", true, MAX_ID_BYTES);
            put(attributes, Attributes.PARTNER_MAILBOX,
                    text(line, "partner_mailbox", type == EventType.WARMUP_REPLY, MAX_ID_BYTES));
            fields = new EventFields(tenant, user, EventFields.ABSENT, mailbox, EventFields.ABSENT, null, null, null);
            used = Set.of("mailbox", "partner_mailbox");
        } else {
            String campaign = text(line, "campaign", true, MAX_ID_BYTES);
            String mailbox = text(line, "mailbox", true, MAX_ID_BYTES);
            String email = text(line, "email", true, MAX_ID_BYTES);
            String lead = text(line, "lead", false, MAX_ID_BYTES);
            String step = text(line, "step", false, MAX_ID_BYTES);
            fields = new EventFields(tenant, user, campaign, mailbox, email, lead, step, null);
            if (type == EventType.BOUNCED) {
                String bounceType = text(line, "bounce_type", true, 4, HARD_OR_SOFT);
                if (!"hard".equals(bounceType) && !"soft".equals(bounceType)) {
                    throw new Invalid("bounce_type", HARD_OR_SOFT);
                }
                attributes.put(Attributes.BOUNCE_TYPE, bounceType);
                put(attributes, Attributes.BOUNCE_REASON, text(line, "bounce_reason", false, MAX_REASON_BYTES));
                used = Set.of("campaign", "mailbox", "email", "lead", "step", "bounce_type", "bounce_reason");
            } else if (type == EventType.REPLIED) {
                put(attributes, Attributes.MESSAGE_ID, text(line, "message_id", false, MAX_MESSAGE_ID_BYTES));
                used = Set.of("campaign", "mailbox", "email", "lead", "step", "message_id");
            } else {
                used = Set.copyOf(EMAIL_FIELDS);
            }
        }
        for (String f : TYPED_FIELDS) {
            if (!used.contains(f) && line.has(f) && !line.get(f).isNull()) {
                throw new Invalid(f, "not used by " + typeName + " events");
            }
        }
        boolean clientId = id != null;
        if (clientId) {
            attributes.put(Attributes.ID_SOURCE, Attributes.ID_SOURCE_CLIENT);
        } else {
            id = new UUID(EventIds.msb(nowMillis), EventIds.lsb());
        }
        return new IngestEvent(type, id, clientId, fields.tenant(), micros, FieldsCodec.encode(fields), RecordCodec.encodeAttributes(attributes));
    }

    private static void put(Map<String, String> attributes, String name, String value) {
        if (value != null) {
            attributes.put(name, value);
        }
    }

    /** A string field: null when absent and optional; otherwise 1..maxBytes UTF-8 bytes of {@link StoredText}. */
    private static String text(JsonNode line, String name, boolean required, int maxBytes) {
        return text(line, name, required, maxBytes, null);
    }

    /**
     * {@link #text} of a field with a fixed form or a closed set of values, where {@code maxBytes}
     * only keeps a huge value from being parsed or looked up: {@code wrongForm}, the reason a value
     * not of that form gets, is the reason for one over the bound too. "longer than 4 bytes" for a
     * {@code bounce_type} of {@code Permanent} would hide that only hard or soft is allowed.
     *
     * @param wrongForm the reason for a value over {@code maxBytes}; null for "longer than N bytes"
     */
    private static String text(JsonNode line, String name, boolean required, int maxBytes, String wrongForm) {
        JsonNode v = line.get(name);
        if (v == null || v.isNull()) {
            if (required) {
                throw new Invalid(name, "missing");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw new Invalid(name, "must be a string");
        }
        String s = v.textValue();
        if (s.isEmpty()) {
            throw new Invalid(name, "must not be empty");
        }
        String problem = StoredText.problem(s);
        if (problem != null) {
            throw new Invalid(name, problem);
        }
        if (s.length() > maxBytes || s.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
            throw new Invalid(name, wrongForm != null ? wrongForm : "longer than " + maxBytes + " bytes");
        }
        return s;
    }

    private static UUID uuid(String name, String s) {
        UUID u = CanonicalUuid.parse(s);
        if (u == null) {
            throw new Invalid(name, NOT_A_UUID);
        }
        return u;
    }

    private long occurredAt(String s, long nowMillis) {
        if (s == null) {
            return nowMillis * 1000;
        }
        Instant t;
        try {
            t = Instant.parse(s);
        } catch (DateTimeParseException e) {
            try {
                t = OffsetDateTime.parse(s).toInstant();
            } catch (DateTimeParseException e2) {
                throw new Invalid("occurred_at", NOT_A_DATE);
            }
        }
        Instant now = Instant.ofEpochMilli(nowMillis);
        if (t.isAfter(now.plus(MAX_FUTURE))) {
            throw new Invalid("occurred_at", "more than " + MAX_FUTURE.toMinutes() + " minutes in the future");
        }
        if (t.isBefore(now.minus(maxPast))) {
            throw new Invalid("occurred_at", tooOld);
        }
        return Math.multiplyExact(t.getEpochSecond(), 1_000_000L) + t.getNano() / 1000;
    }
}
