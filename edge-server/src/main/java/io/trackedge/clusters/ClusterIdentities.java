package io.trackedge.clusters;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Which database each of an edge's cluster names reaches, by the id each database holds
 * ({@code cluster_identity}, V39), learned as the edge connects to each: what {@link RoutingAgreement}
 * tells the other edges, and how {@link MovedEventsForwarder} avoids a cluster whose database another
 * name reaches too. (The sinks keep such a database apart by their cursor rows, {@code CursorClaim}.)
 * Thread-safe: each cluster's housekeeping thread learns its own.
 */
public final class ClusterIdentities {

    private final List<String> names;
    private final Map<String, UUID> ids = new LinkedHashMap<>();

    /** @param names the edge's clusters, in their configured order */
    public ClusterIdentities(List<String> names) {
        this.names = List.copyOf(names);
    }

    /** The id of the database {@code c} is connected to. */
    public static UUID read(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT id FROM cluster_identity");
             ResultSet r = s.executeQuery()) {
            if (!r.next()) {
                throw new SQLException("cluster_identity has no row: it is made by migration V39 (trackedge migrate)");
            }
            return r.getObject(1, UUID.class);
        }
    }

    /** Reads the id of the database {@code c} is connected to, and records that {@code name} reaches it. */
    public UUID learn(String name, Connection c) throws SQLException {
        UUID id = read(c);
        record(name, id);
        return id;
    }

    /** Records that {@code name} reaches the database {@code id} (a name whose address now reaches another takes the new one). */
    public synchronized void record(String name, UUID id) {
        if (!names.contains(name)) {
            throw new IllegalArgumentException("not one of this edge's clusters: " + name);
        }
        ids.put(name, id);
    }

    /** Another of the edge's names known to reach the database {@code name} reaches, if any. */
    public synchronized Optional<String> sharing(String name) {
        UUID id = ids.get(name);
        return id == null ? Optional.empty()
                : names.stream().filter(n -> !n.equals(name) && id.equals(ids.get(n))).findFirst();
    }

    /** Whether {@code name}'s database is known and no other name of the edge is known to reach it. */
    public boolean ownDatabase(String name) {
        synchronized (this) {
            if (!ids.containsKey(name)) {
                return false;
            }
        }
        return sharing(name).isEmpty();
    }

    /** The ids known so far, in the clusters' order. */
    public synchronized Map<String, UUID> known() {
        Map<String, UUID> out = new LinkedHashMap<>();
        for (String n : names) {
            UUID id = ids.get(n);
            if (id != null) {
                out.put(n, id);
            }
        }
        return out;
    }

    /** {@code a=<id>,b=<id>}: the ids known so far, as {@code edge_routing.cluster_ids} holds them. */
    public String describe() {
        return format(known());
    }

    /** {@code ids} as {@code edge_routing.cluster_ids} holds them. */
    public static String format(Map<String, UUID> ids) {
        StringBuilder out = new StringBuilder();
        ids.forEach((n, id) -> out.append(out.isEmpty() ? "" : ",").append(n).append('=').append(id));
        return out.toString();
    }

    /** {@code edge_routing.cluster_ids} read back; a malformed entry (none is written so) is skipped. */
    public static Map<String, UUID> parse(String text) {
        Map<String, UUID> out = new LinkedHashMap<>();
        for (String entry : text.split(",")) {
            int eq = entry.indexOf('=');
            if (eq > 0) {
                try {
                    out.put(entry.substring(0, eq), UUID.fromString(entry.substring(eq + 1)));
                } catch (IllegalArgumentException notAnId) {
                    // an edge of a later version may write more; what this one cannot read it does not compare
                }
            }
        }
        return out;
    }

    /**
     * The first cluster name both sides know and reach different databases by, said for an operator
     * ({@code cluster b is database <id> there, <id> here}); empty when none.
     */
    public static Optional<String> conflict(Map<String, UUID> theirs, Map<String, UUID> ours) {
        for (Map.Entry<String, UUID> e : ours.entrySet()) {
            UUID other = theirs.get(e.getKey());
            if (other != null && !other.equals(e.getValue())) {
                return Optional.of("cluster " + e.getKey() + " is database " + other + " there, " + e.getValue() + " here");
            }
        }
        return Optional.empty();
    }
}
