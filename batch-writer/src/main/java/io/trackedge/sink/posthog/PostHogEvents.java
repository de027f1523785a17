package io.trackedge.sink.posthog;

import io.trackedge.classify.Classification;
import io.trackedge.classify.Correction;
import io.trackedge.classify.Signal;
import io.trackedge.journal.Attributes;
import io.trackedge.sink.Json;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * How a journal event becomes one element of a PostHog {@code /batch/} request: the event names and
 * properties of the product document, {@code distinct_id} = the user, {@code uuid} = our event id
 * (so a replay is the same event to PostHog, not a second one), {@code timestamp} = when it occurred.
 *
 * <p>Type-specific attributes (bounce_type, bounce_reason, message_id, partner_mailbox, ...) are copied as
 * string properties, except those that would override ours or set PostHog's own {@code $} properties.
 */
public final class PostHogEvents {

    /** Properties we set ourselves; an attribute of the same name is not copied. */
    private static final Set<String> RESERVED = Set.of("tenant_id", "campaign_id", "mailbox_id", "email_id", "lead_id",
            "step_id", "is_machine", "machine_reason", "clicked_url", "interaction_type", "automation", "certainty", "reasons");

    /** The event that tells PostHog an earlier open or click was reclassified ({@link #encodeCorrection}). */
    public static final String RECLASSIFIED = "email_reclassified";

    private PostHogEvents() {
    }

    public static String eventName(EventType type) {
        return switch (type) {
            case OPEN -> "email_opened";
            case CLICK -> "email_clicked";
            case SENT -> "email_sent";
            case DELIVERED -> "email_delivered";
            case BOUNCED -> "email_bounced";
            case REPLIED -> "email_replied";
            case UNSUBSCRIBED -> "email_unsubscribed";
            case COMPLAINED -> "email_complained";
            case WARMUP_OPEN, WARMUP_REPLY -> "warmup_interaction";
        };
    }

    /** ISO-8601 in UTC with the microseconds the journal keeps, e.g. {@code 2026-11-25T10:15:30.123456Z}. */
    public static String timestamp(long epochMicros) {
        return Instant.ofEpochSecond(Math.floorDiv(epochMicros, 1_000_000L), Math.floorMod(epochMicros, 1_000_000L) * 1000L)
                .toString();
    }

    /**
     * One event as a JSON object, UTF-8.
     *
     * @param sendIp add the client address as {@code $ip}; without it {@code $geoip_disable} is set
     *     so that PostHog does not locate the event at the address of the edge that sent it
     */
    public static byte[] encode(EventRecord e, boolean sendIp) {
        return encode(e, sendIp, null);
    }

    /**
     * As {@link #encode(EventRecord, boolean)}, with the classifier's verdict on an open or click:
     * {@code is_machine} (true for prefetch, scanner, bot), {@code automation} (none, proxy, prefetch,
     * scanner, bot), {@code certainty} (certain, probable), {@code reasons} (the signals' names, an
     * array) and {@code machine_reason} (the same names joined with commas). Without a verdict
     * ({@code null}) the edge's flags decide {@code is_machine} and nothing else is added.
     */
    public static byte[] encode(EventRecord e, boolean sendIp, Classification verdict) {
        EventFields f = e.fields();
        StringBuilder sb = new StringBuilder(400);
        sb.append("{\"event\":");
        quote(sb, eventName(e.type()));
        sb.append(",\"distinct_id\":");
        quote(sb, f.user().toString());
        sb.append(",\"uuid\":");
        quote(sb, e.id().toString());
        sb.append(",\"timestamp\":");
        quote(sb, timestamp(e.occurredAtMicros()));
        sb.append(",\"properties\":{");
        property(sb, "tenant_id", f.tenant().toString(), true);
        // Warm-up events have no campaign or email; the journal marks them absent.
        boolean warmup = e.type().isWarmup();
        property(sb, "campaign_id", warmup && EventFields.ABSENT.equals(f.campaign()) ? null : f.campaign(), false);
        property(sb, "mailbox_id", f.mailbox(), false);
        property(sb, "email_id", warmup && EventFields.ABSENT.equals(f.email()) ? null : f.email(), false);
        property(sb, "lead_id", f.lead(), false);
        property(sb, "step_id", f.step(), false);
        if (verdict != null) {
            verdict(sb, verdict);
        } else {
            boolean head = (e.flags() & EventRecord.FLAG_HEAD) != 0;
            boolean machine = head || (e.flags() & EventRecord.FLAG_MACHINE) != 0;
            sb.append(",\"is_machine\":").append(machine);
            if (machine) {
                property(sb, "machine_reason", head ? "head_request" : "machine_user_agent", false);
            }
        }
        if (e.type() == EventType.CLICK) {
            property(sb, "clicked_url", e.url() != null ? e.url() : f.inlineUrl(), false);
        } else if (e.type() == EventType.WARMUP_OPEN) {
            property(sb, "interaction_type", "open", false);
        } else if (e.type() == EventType.WARMUP_REPLY) {
            property(sb, "interaction_type", "reply", false);
        }
        for (Map.Entry<String, String> a : e.attributes().entrySet()) {
            String k = a.getKey();
            if (!k.isEmpty() && k.charAt(0) != '$' && !RESERVED.contains(k) && !Attributes.ID_SOURCE.equals(k)
                    && !Attributes.ONE_CLICK.equals(k)) {
                property(sb, k, a.getValue(), false);
            }
        }
        String ip = sendIp ? ip(e.ip()) : null;
        if (ip != null) {
            property(sb, "$ip", ip, false);
        } else {
            sb.append(",\"$geoip_disable\":true");
        }
        property(sb, "$lib", "trackedge", false);
        sb.append("}}");
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * An {@value #RECLASSIFIED} event: a later event showed an earlier one to be a machine's (a link
     * burst). PostHog cannot change a captured event, so this one names it ({@code event_uuid}) with
     * the new verdict and the old ({@code previous_automation}, {@code previous_is_machine}); it takes
     * the original's timestamp, and a uuid made from the original's and the verdict, so a resend is
     * counted once.
     */
    public static byte[] encodeCorrection(Correction c) {
        EventFields f = c.fields();
        Classification v = c.classification();
        StringBuilder sb = new StringBuilder(400);
        sb.append("{\"event\":");
        quote(sb, RECLASSIFIED);
        sb.append(",\"distinct_id\":");
        quote(sb, f.user().toString());
        sb.append(",\"uuid\":");
        quote(sb, UUID.nameUUIDFromBytes((c.eventId() + "/" + v.automation().wireName() + "/" + v.certainty().wireName()
                + "/" + v.reasons()).getBytes(StandardCharsets.UTF_8)).toString());
        sb.append(",\"timestamp\":");
        quote(sb, timestamp(c.occurredAtMicros()));
        sb.append(",\"properties\":{");
        property(sb, "tenant_id", f.tenant().toString(), true);
        property(sb, "campaign_id", f.campaign(), false);
        property(sb, "mailbox_id", f.mailbox(), false);
        property(sb, "email_id", f.email(), false);
        property(sb, "lead_id", f.lead(), false);
        property(sb, "step_id", f.step(), false);
        property(sb, "event_uuid", c.eventId().toString(), false);
        verdict(sb, v);
        property(sb, "previous_automation", c.previous().automation().wireName(), false);
        sb.append(",\"previous_is_machine\":").append(c.previous().isMachine());
        sb.append(",\"$geoip_disable\":true");
        property(sb, "$lib", "trackedge", false);
        sb.append("}}");
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void verdict(StringBuilder sb, Classification v) {
        sb.append(",\"is_machine\":").append(v.isMachine());
        property(sb, "machine_reason", v.reasonText(), false);
        property(sb, "automation", v.automation().wireName(), false);
        property(sb, "certainty", v.certainty().wireName(), false);
        sb.append(",\"reasons\":[");
        boolean first = true;
        for (Signal s : v.signals()) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            quote(sb, s.wireName());
        }
        sb.append(']');
    }

    private static void property(StringBuilder sb, String key, String value, boolean first) {
        if (value == null) {
            return;
        }
        if (!first) {
            sb.append(',');
        }
        quote(sb, key);
        sb.append(':');
        quote(sb, value);
    }

    private static String ip(byte[] ip) {
        if (ip == null || (ip.length != 4 && ip.length != 16)) {
            return null;
        }
        try {
            return InetAddress.getByAddress(ip).getHostAddress();
        } catch (UnknownHostException e) {
            return null; // only for a wrong length, excluded above
        }
    }

    /** Appends {@code s} as a JSON string. */
    static void quote(StringBuilder sb, String s) {
        Json.quote(sb, s);
    }
}
