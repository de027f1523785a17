package io.trackedge.clusters;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * A move's row in the destination's {@code tenant_moves} (V34): written with the copy, marked done
 * once the source's rows are deleted. For each table it keeps how many rows were copied and the
 * source's fingerprint of them ({@link TenantRows}), so that a run finishing a stopped move deletes
 * the source's rows only if they are still exactly the ones copied.
 */
record MoveRecord(String from, Map<String, Long> copied, Map<String, String> fingerprints) {

    /** The tenant's move into {@code destination} that stopped after its copy, or null. */
    static MoveRecord unfinished(Connection destination, UUID tenant) throws SQLException {
        try (PreparedStatement s = destination.prepareStatement("SELECT from_cluster, t.key, t.value::bigint, f.value"
                + " FROM tenant_moves, jsonb_each_text(copied) AS t, jsonb_each_text(fingerprints) AS f"
                + " WHERE tenant_id = ? AND state = 'copied' AND f.key = t.key FOR UPDATE OF tenant_moves")) {
            s.setObject(1, tenant);
            String from = null;
            Map<String, Long> copied = new LinkedHashMap<>();
            Map<String, String> prints = new LinkedHashMap<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    from = r.getString(1);
                    copied.put(r.getString(2), r.getLong(3));
                    prints.put(r.getString(2), r.getString(4));
                }
            }
            return from == null ? null : new MoveRecord(from, copied, prints);
        }
    }

    /** Records, in the destination's transaction, a copy from {@code from} to {@code to}. */
    static void copied(Connection destination, UUID tenant, String from, String to, Map<String, Long> copied,
            Map<String, String> fingerprints) throws SQLException {
        try (PreparedStatement s = destination.prepareStatement("INSERT INTO tenant_moves (tenant_id, from_cluster, to_cluster, state,"
                + " copied, fingerprints) VALUES (?, ?, ?, 'copied', ?::jsonb, ?::jsonb)")) {
            s.setObject(1, tenant);
            s.setString(2, from);
            s.setString(3, to);
            s.setString(4, json(copied));
            s.setString(5, json(fingerprints));
            s.executeUpdate();
        }
    }

    /** Marks the tenant's unfinished move done and commits the destination's transaction. */
    static void done(Connection destination, UUID tenant) throws SQLException {
        try (PreparedStatement s = destination.prepareStatement("UPDATE tenant_moves SET state = 'done', finished_at = now()"
                + " WHERE tenant_id = ? AND state = 'copied'")) {
            s.setObject(1, tenant);
            s.executeUpdate();
        }
        destination.commit();
    }

    /** Table names are identifiers and the values numbers or digits and colons: nothing to escape. */
    private static String json(Map<String, ?> values) {
        return values.entrySet().stream().map(e -> "\"" + e.getKey() + "\": \"" + e.getValue() + "\"")
                .collect(Collectors.joining(", ", "{", "}"));
    }
}
