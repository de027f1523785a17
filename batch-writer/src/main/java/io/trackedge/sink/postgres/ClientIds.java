package io.trackedge.sink.postgres;

import static org.jooq.impl.DSL.val;

import io.trackedge.journal.Attributes;
import io.trackedge.journal.EventRecord;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.impl.SQLDataType;

/**
 * Exactly once for event ids that ingest clients chose: a retried request journals the same ids
 * again, so before a batch is written its client ids are inserted into {@code ingest_event_ids}
 * with {@code ON CONFLICT DO NOTHING RETURNING}, in the batch's transaction, and only the events
 * whose id came back are kept. Edge-made ids (every open and click) skip this: a batch without
 * client ids costs no query.
 */
final class ClientIds {

    private ClientIds() {
    }

    /** The batch without the events whose client id was written before (or earlier in this batch). */
    static List<EventRecord> keepNew(DSLContext sql, List<EventRecord> batch) {
        Map<UUID, EventRecord> candidates = new LinkedHashMap<>();
        for (EventRecord e : batch) {
            if (Attributes.hasClientId(e)) {
                candidates.putIfAbsent(e.id(), e);
            }
        }
        if (candidates.isEmpty()) {
            return batch;
        }
        int n = candidates.size();
        UUID[] ids = new UUID[n];
        UUID[] tenants = new UUID[n];
        String[] types = new String[n];
        int i = 0;
        for (EventRecord e : candidates.values()) {
            ids[i] = e.id();
            tenants[i] = e.fields().tenant();
            types[i] = e.type().wireName();
            i++;
        }
        Set<UUID> fresh = new HashSet<>(sql.resultQuery(
                "INSERT INTO ingest_event_ids (event_id, tenant_id, event_type) "
                        + "SELECT id, t, ty FROM unnest({0}, {1}, {2}) AS x(id, t, ty) "
                        + "ON CONFLICT DO NOTHING RETURNING event_id",
                val(ids, SQLDataType.UUID.array()), val(tenants, SQLDataType.UUID.array()),
                val(types, SQLDataType.CLOB.array())).fetch(0, UUID.class));
        List<EventRecord> kept = new ArrayList<>(batch.size());
        for (EventRecord e : batch) {
            // remove(): a second event with the same id in this batch is a duplicate too
            if (!Attributes.hasClientId(e) || fresh.remove(e.id())) {
                kept.add(e);
            }
        }
        return kept;
    }
}
