package io.trackedge.classify;

import java.util.UUID;

/**
 * A new classification for an event of an earlier batch, found later (a link burst seen whole only
 * once its later clicks arrive). {@code occurredAtMicros} is there so that the row can be found in
 * {@code email_events}, whose key is {@code (event_id, occurred_at)}.
 */
public record Correction(UUID eventId, long occurredAtMicros, Classification classification) {
}
