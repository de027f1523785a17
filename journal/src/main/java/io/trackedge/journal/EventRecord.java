package io.trackedge.journal;

import java.util.Map;
import java.util.UUID;

/**
 * One event as read back from the journal.
 *
 * @param ip the client address, 4 or 16 bytes, or an empty array when unknown
 * @param url the click destination, or {@code null}
 * @param occurredAtMicros when the event happened, microseconds since the epoch: the edge's clock
 *     for opens and clicks, the client's {@code occurred_at} (or the receive time) for ingest events
 * @param attributes type-specific attributes (bounce type, reason, message id, ...), never null
 * @param receivedAtMicros when this edge took the event in (answered the pixel or click, received
 *     the ingest request), microseconds since the epoch, by the edge's clock. Unlike the id and
 *     {@code occurredAtMicros}, no client chooses it: measure how long an event has waited from here.
 */
public record EventRecord(UUID id, EventType type, int flags, long occurredAtMicros, byte[] ip,
                          String userAgent, EventFields fields, String url,
                          Map<String, String> attributes, long receivedAtMicros) {

    /** An event received when it occurred, as the edge's own opens and clicks are. */
    public EventRecord(UUID id, EventType type, int flags, long occurredAtMicros, byte[] ip,
                       String userAgent, EventFields fields, String url, Map<String, String> attributes) {
        this(id, type, flags, occurredAtMicros, ip, userAgent, fields, url, attributes, occurredAtMicros);
    }

    /** The request was a HEAD: a prefetcher or scanner, not a person looking at the email. */
    public static final int FLAG_HEAD = 1;
    /** A machine's, known without classifying: the edge sets it on an open or click without a User-Agent. */
    public static final int FLAG_MACHINE = 2;
    /** The user agent was longer than the journal keeps and was cut. */
    public static final int FLAG_UA_CUT = 4;
}
