package io.trackedge.privacy;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Recipients erased recently: the sinks drop their events that are still in a journal past a
 * cursor, or arrive late. Entries are {@link RecipientHash recipient hashes} per tenant with the
 * time of the erasure; an entry older than the {@link PrivacySettings#erasureHold() hold} no
 * longer counts.
 *
 * <p>Thread-safe: the set is replaced whole ({@link #replace}) or copied on {@link #add}; readers
 * see one consistent snapshot. Erasures are rare, so copying is cheap.
 */
public final class ErasureList {

    /** An erasure as the audit table records it. */
    public record Entry(UUID tenant, String hashHex, long erasedAtMillis) {
    }

    private volatile Map<UUID, Map<String, Long>> byTenant = Map.of();
    /**
     * Erasures {@link #add added} here that no {@link #replace} has brought yet: a reload that read the
     * audit table just before such an erasure committed would otherwise drop it until the next reload,
     * and a sink would send the recipient's events meanwhile.
     */
    private final Map<UUID, Map<String, Long>> addedHere = new HashMap<>();

    /**
     * False while the list awaits its first full load ({@link #awaitFirstLoad} until {@link #firstLoadDone}):
     * it may then lack erasures the database holds, and a sink that cannot ask the database itself (PostHog's)
     * must not send yet.
     */
    private volatile boolean complete = true;

    public static ErasureList empty() {
        return new ErasureList();
    }

    /** From now until {@link #firstLoadDone}, the list is not {@link #complete}. */
    public void awaitFirstLoad() {
        complete = false;
    }

    /** Every cluster's recent erasures have been read once (or there is no database to read). */
    public void firstLoadDone() {
        complete = true;
    }

    /** Whether the list holds every recent erasure the databases held at its last load. */
    public boolean complete() {
        return complete;
    }

    /** Replaces the list, e.g. with what {@code erasure_audit} holds now, keeping what {@link #add} added since. */
    public synchronized void replace(Iterable<Entry> entries) {
        Map<UUID, Map<String, Long>> m = new HashMap<>();
        for (Entry e : entries) {
            m.computeIfAbsent(e.tenant(), t -> new HashMap<>()).merge(e.hashHex(), e.erasedAtMillis(), Math::max);
        }
        addedHere.forEach((tenant, hashes) -> hashes.entrySet().removeIf(h -> {
            Long read = m.getOrDefault(tenant, Map.of()).get(h.getKey());
            if (read != null && read >= h.getValue() - CLOCKS_APART_MILLIS) {
                return true; // the reload has it: from here on the audit table's word stands
            }
            m.computeIfAbsent(tenant, t -> new HashMap<>()).merge(h.getKey(), h.getValue(), Math::max);
            return false;
        }));
        addedHere.values().removeIf(Map::isEmpty);
        byTenant = freeze(m);
    }

    /**
     * How far apart this process's time of an erasure and the audit table's may be: the table's is its
     * transaction's start, and an erasure over several clusters waits up to about 30 s for each one's lock.
     */
    private static final long CLOCKS_APART_MILLIS = 10 * 60_000;

    /** Adds one erasure made in this process, visible to the next batch at once. */
    public synchronized void add(UUID tenant, String emailId, long erasedAtMillis) {
        Map<UUID, Map<String, Long>> m = new HashMap<>();
        byTenant.forEach((t, h) -> m.put(t, new HashMap<>(h)));
        String hash = RecipientHash.hex(tenant, emailId);
        m.computeIfAbsent(tenant, t -> new HashMap<>()).merge(hash, erasedAtMillis, Math::max);
        addedHere.computeIfAbsent(tenant, t -> new HashMap<>()).merge(hash, erasedAtMillis, Math::max);
        byTenant = freeze(m);
    }

    /** True when the recipient was erased less than {@code holdMillis} before {@code nowMillis}. */
    public boolean isErased(UUID tenant, String emailId, long nowMillis, long holdMillis) {
        return isErased(tenant, emailId, Long.MAX_VALUE, nowMillis, holdMillis);
    }

    /**
     * True when the recipient was erased at or after {@code receivedAtMillis} (the event was taken in
     * before the erasure: it is the recipient's past, however late a sink delivers it, from a journal
     * that waited on a stopped node or an unreachable database), or less than {@code holdMillis} before
     * {@code nowMillis}.
     */
    public boolean isErased(UUID tenant, String emailId, long receivedAtMillis, long nowMillis, long holdMillis) {
        Map<String, Long> hashes = byTenant.get(tenant);
        if (hashes == null) {
            return false; // the common case: no hashing at all
        }
        Long at = hashes.get(RecipientHash.hex(tenant, emailId));
        return at != null && (receivedAtMillis <= at || nowMillis - at < holdMillis);
    }

    public boolean isEmpty() {
        return byTenant.isEmpty();
    }

    public Set<UUID> tenants() {
        return new HashSet<>(byTenant.keySet());
    }

    private static Map<UUID, Map<String, Long>> freeze(Map<UUID, Map<String, Long>> m) {
        Map<UUID, Map<String, Long>> out = new HashMap<>();
        m.forEach((t, h) -> out.put(t, Map.copyOf(h)));
        return Map.copyOf(out);
    }
}
