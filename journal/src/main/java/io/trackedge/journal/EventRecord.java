package io.trackedge.journal;

import java.util.Map;
import java.util.UUID;

/**
 * One event as read back from the journal.
 *
 * @param ip the client address, 4 or 16 bytes, or an empty array when unknown
 * @param url the click destination, or {@code null}
 * @param attributes type-specific attributes (bounce type, reason, message id, ...), never null
 */
public record EventRecord(UUID id, EventType type, int flags, long occurredAtMicros, byte[] ip,
                          String userAgent, EventFields fields, String url,
                          Map<String, String> attributes) {

    /** The request was a HEAD: a prefetcher or scanner, not a person looking at the email. */
    public static final int FLAG_HEAD = 1;
    /** The user agent is a known bot, scanner or image proxy. */
    public static final int FLAG_MACHINE = 2;
    /** The user agent was longer than the journal keeps and was cut. */
    public static final int FLAG_UA_CUT = 4;
}
