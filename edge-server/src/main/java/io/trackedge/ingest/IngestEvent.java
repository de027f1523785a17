package io.trackedge.ingest;

import io.trackedge.journal.EventType;
import java.util.UUID;

/**
 * One valid line, with everything its ring slot needs already encoded, so that filling the slot
 * is plain copying and cannot fail.
 *
 * @param clientId the client chose {@code id} (else this edge made it, unique)
 * @param tenant the tenant {@code fields} names: a client id is one tenant's
 * @param fields a {@link io.trackedge.journal.FieldsCodec} block
 * @param ext the attributes block ({@link io.trackedge.journal.RecordCodec#encodeAttributes})
 */
record IngestEvent(EventType type, UUID id, boolean clientId, UUID tenant, long occurredAtMicros, byte[] fields, byte[] ext) {
}
