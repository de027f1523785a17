package io.trackedge.sink.postgres;

import static org.jooq.impl.DSL.val;

import io.trackedge.journal.Attributes;
import io.trackedge.journal.EventRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.impl.SQLDataType;

/**
 * Exactly once for event ids that ingest clients chose: a retried request journals the same ids
 * again, so before a batch is written its client ids are inserted into {@code ingest_event_ids}
 * with {@code ON CONFLICT DO NOTHING RETURNING}, in the batch's transaction, and only the events
 * whose id came back are kept. Edge-made ids (every open and click) skip this: a batch without
 * client ids costs no query.
 *
 * <p>An id is a duplicate only within its tenant: two tenants that choose the same id each get
 * their event stored (the key is {@code (tenant_id, event_id)}, see {@code V6__client_ids_per_tenant.sql}).
 */
final class ClientIds {

    /** What makes a client id a duplicate: the same id from the same tenant. */
    private record Key(UUID tenant, UUID id) {
        static Key of(EventRecord e) {
            return new Key(e.fields().tenant(), e.id());
        }
    }

    private ClientIds() {
    }

    /**
     * A batch without its repeated client ids.
     *
     * @param events the batch less the events whose client id their tenant sent before (or earlier in the batch)
     * @param reused of those left out, the ones whose id was first sent with another event type: not a
     *     retry but a client that gave two events one id, whose later event is therefore not stored;
     *     each as "tenant T id I: first TYPE, now TYPE"
     */
    record Kept(List<EventRecord> events, List<String> reused) {
    }

    /** The batch without the events whose client id its tenant sent before (or earlier in this batch). */
    static Kept keepNew(DSLContext sql, List<EventRecord> batch) {
        Map<Key, EventRecord> candidates = new LinkedHashMap<>();
        for (EventRecord e : batch) {
            if (Attributes.hasClientId(e)) {
                candidates.putIfAbsent(Key.of(e), e);
            }
        }
        if (candidates.isEmpty()) {
            return new Kept(batch, List.of());
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
        Set<Key> fresh = new HashSet<>();
        for (Record r : sql.resultQuery(
                "INSERT INTO ingest_event_ids (tenant_id, event_id, event_type) "
                        // in key order, as every sink batch: two nodes given the same ids in other orders cannot deadlock
                        + "SELECT t, id, ty FROM unnest({0}, {1}, {2}) AS x(t, id, ty) ORDER BY t, id "
                        + "ON CONFLICT DO NOTHING RETURNING tenant_id, event_id",
                val(tenants, SQLDataType.UUID.array()), val(ids, SQLDataType.UUID.array()),
                val(types, SQLDataType.CLOB.array())).fetch()) {
            fresh.add(new Key(r.get(0, UUID.class), r.get(1, UUID.class)));
        }
        Map<Key, String> stored = fresh.size() < n ? storedTypes(sql, candidates.keySet(), fresh) : Map.of();
        List<EventRecord> kept = new ArrayList<>(batch.size());
        List<String> reused = new ArrayList<>(0);
        Set<Key> written = new HashSet<>();
        for (EventRecord e : batch) {
            if (!Attributes.hasClientId(e)) {
                kept.add(e);
                continue;
            }
            Key k = Key.of(e);
            if (fresh.contains(k) && written.add(k)) {
                kept.add(e); // the batch's first event with the id
                continue;
            }
            // Left out: a retry when it is the event the id was first sent with, else an id given to two events.
            String first = fresh.contains(k) ? candidates.get(k).type().wireName() : stored.get(k);
            if (first != null && !first.equals(e.type().wireName())) {
                reused.add(describe(k, first, e));
            }
        }
        return new Kept(kept, reused);
    }

    /**
     * Takes back the ids {@link #keepNew} just inserted for {@code events}, in the same transaction: the ids of
     * one-click unsubscribes of erased recipients ({@link PrivacyFilter#erasedOneClicks}), derived from the
     * recipient's token, which must not outlive the erasure. No query for none.
     */
    static void forget(DSLContext sql, List<EventRecord> events) {
        if (events.isEmpty()) {
            return;
        }
        UUID[] tenants = new UUID[events.size()];
        UUID[] ids = new UUID[events.size()];
        for (int i = 0; i < ids.length; i++) {
            tenants[i] = events.get(i).fields().tenant();
            ids[i] = events.get(i).id();
        }
        // Only rows this transaction inserted (the events keepNew kept): no other batch holds them.
        sql.execute("DELETE FROM ingest_event_ids i USING unnest({0}, {1}) AS x(t, id) WHERE i.tenant_id = x.t AND i.event_id = x.id",
                val(tenants, SQLDataType.UUID.array()), val(ids, SQLDataType.UUID.array()));
    }

    /** The event type each of {@code keys} that is not {@code fresh} was first stored with. */
    private static Map<Key, String> storedTypes(DSLContext sql, Set<Key> keys, Set<Key> fresh) {
        List<UUID> tenants = new ArrayList<>();
        List<UUID> ids = new ArrayList<>();
        for (Key k : keys) {
            if (!fresh.contains(k)) {
                tenants.add(k.tenant());
                ids.add(k.id());
            }
        }
        Map<Key, String> out = new HashMap<>();
        for (Record r : sql.resultQuery("SELECT i.tenant_id, i.event_id, i.event_type FROM ingest_event_ids i"
                        + " JOIN unnest({0}, {1}) AS x(t, id) ON i.tenant_id = x.t AND i.event_id = x.id",
                val(tenants.toArray(new UUID[0]), SQLDataType.UUID.array()), val(ids.toArray(new UUID[0]), SQLDataType.UUID.array()))
                .fetch()) {
            out.put(new Key(r.get(0, UUID.class), r.get(1, UUID.class)), r.get(2, String.class));
        }
        return out;
    }

    private static String describe(Key k, String firstType, EventRecord later) {
        return "tenant " + k.tenant() + " id " + k.id() + ": first " + firstType + ", now " + later.type().wireName();
    }
}
