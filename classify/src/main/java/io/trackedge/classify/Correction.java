package io.trackedge.classify;

import io.trackedge.journal.EventFields;
import java.util.UUID;

/**
 * A new classification for an event of an earlier batch, found later (a link burst seen whole only
 * once its later clicks arrive). The id, {@code occurredAtMicros} and the tenant and email of {@code fields}
 * find the row in {@code email_events} (through its {@code (tenant_id, email_id)} index); {@code fields}
 * (without any inline URL) and {@code previous} let a sink move the event between the human and machine
 * counters of its day without reading it back.
 */
public record Correction(UUID eventId, long occurredAtMicros, EventFields fields, Classification previous,
                         Classification classification) {

    /** True when the one-bit summary changed, so human/machine counters must move. */
    public boolean machineChanged() {
        return previous.isMachine() != classification.isMachine();
    }
}
