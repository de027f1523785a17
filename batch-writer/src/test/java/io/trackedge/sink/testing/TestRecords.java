package io.trackedge.sink.testing;

import io.trackedge.journal.Attributes;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import java.util.Map;
import java.util.UUID;

/**
 * Hand-made decoded events, for tests that hand batches to the Postgres sink's writers without a
 * journal: each occurs now, from {@link TestEvents#USER} and its sender (campaign "camp", mailbox
 * "mbox", step "step-1", lead "lead-" + email) unless it has none.
 */
public final class TestRecords {

    private TestRecords() {
    }

    /** An open of {@code tenant}'s {@code email}, with an edge-made id. */
    public static EventRecord open(UUID tenant, String email, String userAgent) {
        return new EventRecord(UUID.randomUUID(), EventType.OPEN, 0, now(), null, userAgent, sender(tenant, email), null, Map.of());
    }

    /** A warm-up open received by {@code mailbox}: no campaign, no email. */
    public static EventRecord warmupOpen(UUID tenant, String mailbox) {
        return new EventRecord(UUID.randomUUID(), EventType.WARMUP_OPEN, 0, now(), null, null,
                new EventFields(tenant, TestEvents.USER, EventFields.ABSENT, mailbox, EventFields.ABSENT, null, null, null), null,
                Map.of(Attributes.PARTNER_MAILBOX, "partner@example.org"));
    }

    /** A send reported through the ingest API with the client's own event id {@code id}. */
    public static EventRecord clientSent(UUID tenant, UUID id, String email) {
        return new EventRecord(id, EventType.SENT, 0, now(), null, null, sender(tenant, email), null,
                Map.of(Attributes.ID_SOURCE, Attributes.ID_SOURCE_CLIENT));
    }

    private static EventFields sender(UUID tenant, String email) {
        return new EventFields(tenant, TestEvents.USER, "camp", "mbox", email, "lead-" + email, "step-1", null);
    }

    private static long now() {
        return System.currentTimeMillis() * 1000;
    }
}
