package io.trackedge.db;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * Which PostgreSQL cluster holds a tenant's rows, when tenants are spread over several (README
 * "Past one PostgreSQL"). A tenant pinned in the routing table lives on its pin; every other
 * tenant on the cluster its stable hash picks: a jump consistent hash (Lamping and Veach, 2014) of
 * the tenant id over the clusters in their configured order. The sinks, the stats API, the jobs
 * and erasure all ask this one object, so a tenant's events, roll-ups and reads are in one place.
 *
 * <p>Immutable: a process routes by the table it started with. A pin added later would send a
 * tenant's new events somewhere its old ones are not, and two sinks of one process deciding by two
 * versions of the table could each leave an event to the other; so changes take a restart, and a
 * tenant is pinned before its first event or after its rows were moved. The events already in the
 * journal at a restart keep the table they were accepted under ({@link RoutingHistory}).
 *
 * <p>The hash is part of the storage format: changing it, or the order of the clusters, moves
 * tenants. Appending a cluster moves about 1/K of the tenants to it (the jump hash's property);
 * pin those that already have data first (the CLI's {@code trackedge clusters pins} prints that table).
 */
public final class TenantRouting {

    private final List<String> clusters;
    private final Map<UUID, Integer> pins;

    private TenantRouting(List<String> clusters, Map<UUID, Integer> pins) {
        this.clusters = List.copyOf(clusters);
        this.pins = Map.copyOf(pins);
    }

    /** Every tenant on one cluster. */
    public static TenantRouting single(String cluster) {
        return new TenantRouting(List.of(cluster), Map.of());
    }

    /**
     * @param clusters names in their fixed order (the hash's buckets)
     * @param pins tenant to cluster name, the routing table
     * @throws IllegalArgumentException on no cluster, a name twice, or a pin to an unknown cluster
     */
    public static TenantRouting of(List<String> clusters, Map<UUID, String> pins) {
        if (clusters.isEmpty()) {
            throw new IllegalArgumentException("at least one cluster");
        }
        if (Set.copyOf(clusters).size() != clusters.size()) {
            throw new IllegalArgumentException("a cluster name appears twice: " + clusters);
        }
        Map<UUID, Integer> byIndex = new LinkedHashMap<>();
        for (Map.Entry<UUID, String> p : pins.entrySet()) {
            int i = clusters.indexOf(p.getValue());
            if (i < 0) {
                throw new IllegalArgumentException("tenant " + p.getKey() + " is pinned to " + p.getValue()
                        + ", which is not one of the clusters " + clusters);
            }
            byIndex.put(p.getKey(), i);
        }
        return new TenantRouting(clusters, byIndex);
    }

    /** The clusters, in their hash order. */
    public List<String> clusters() {
        return clusters;
    }

    public int size() {
        return clusters.size();
    }

    /** Index into {@link #clusters()} of the cluster that holds {@code tenant}. */
    public int indexOf(UUID tenant) {
        Integer pinned = pins.get(tenant);
        if (pinned != null) {
            return pinned;
        }
        return clusters.size() == 1 ? 0 : jumpHash(mix(tenant), clusters.size());
    }

    /** Name of the cluster that holds {@code tenant}. */
    public String clusterOf(UUID tenant) {
        return clusters.get(indexOf(tenant));
    }

    /** The tenants cluster {@code index} holds, as a filter over tenant ids. */
    public Predicate<UUID> tenantsOf(int index) {
        if (index < 0 || index >= clusters.size()) {
            throw new IllegalArgumentException("no cluster " + index + " of " + clusters.size());
        }
        return clusters.size() == 1 ? t -> true : t -> indexOf(t) == index;
    }

    /** The pinned tenants, by cluster name. */
    public Map<String, List<UUID>> pinsByCluster() {
        Map<String, List<UUID>> out = new LinkedHashMap<>();
        clusters.forEach(c -> out.put(c, new ArrayList<>()));
        pins.forEach((t, i) -> out.get(clusters.get(i)).add(t));
        return out;
    }

    /** All 128 bits of the id count: UUIDv4 and UUIDv7 tenant ids alike spread over the clusters. */
    static long mix(UUID tenant) {
        long h = tenant.getMostSignificantBits() * 0x9E3779B97F4A7C15L ^ tenant.getLeastSignificantBits();
        // splitmix64's finaliser
        h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
        h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
        return h ^ (h >>> 31);
    }

    /** Lamping and Veach's jump consistent hash: a bucket in [0, buckets) for {@code key}. */
    static int jumpHash(long key, int buckets) {
        long b = -1;
        long j = 0;
        while (j < buckets) {
            b = j;
            key = key * 2862933555777941757L + 1;
            j = (long) ((b + 1) * ((double) (1L << 31) / (double) ((key >>> 33) + 1)));
        }
        return (int) b;
    }

    /** The pinned tenants, by cluster name, with every pin (for writing the table down). */
    public Map<UUID, String> pins() {
        Map<UUID, String> out = new LinkedHashMap<>();
        pins.forEach((t, i) -> out.put(t, clusters.get(i)));
        return out;
    }

    /** Same clusters in the same order and the same pins: every tenant routed alike. */
    @Override
    public boolean equals(Object o) {
        return o instanceof TenantRouting r && clusters.equals(r.clusters) && pins.equals(r.pins);
    }

    @Override
    public int hashCode() {
        return clusters.hashCode() * 31 + pins.hashCode();
    }

    /**
     * A name for this table that two processes compute alike exactly when their tables are equal
     * ({@link #equals}: the same clusters in order, the same pins; a pin to the cluster the hash picks
     * anyway makes another table, though it routes alike): the first 16 hex digits of SHA-256 over the clusters in their order and
     * the pins sorted by the tenant id's text ({@code tenant,cluster} lines), whatever order the table's file lists them in.
     */
    public String digest() {
        StringBuilder text = new StringBuilder("clusters:").append(String.join(",", clusters)).append('\n');
        java.util.TreeMap<String, String> sorted = new java.util.TreeMap<>(); // by the id's text: not UUID's signed order
        pins.forEach((t, i) -> sorted.put(t.toString(), clusters.get(i)));
        sorted.forEach((t, c) -> text.append(t).append(',').append(c).append('\n'));
        try {
            byte[] hash = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(hash, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** How many tenants the table pins. */
    public int pinCount() {
        return pins.size();
    }

    @Override
    public String toString() {
        return "TenantRouting" + clusters + (pins.isEmpty() ? "" : ", " + pins.size() + " pinned");
    }
}
