package io.trackedge.clusters;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A tenant's rows of every moved table in one cluster, as the caller's snapshot sees them: how many,
 * and a fingerprint (the count and a sum of each row's text hashed), which changes when a counter
 * is added to as well as when a row comes or goes.
 */
record TenantRows(Map<String, Long> counts, Map<String, String> fingerprints) {

    static TenantRows of(Connection c, UUID tenant) throws SQLException {
        Map<String, Long> counts = new LinkedHashMap<>();
        Map<String, String> prints = new LinkedHashMap<>();
        try (Statement s = c.createStatement()) {
            for (MovedTable t : MovedTable.ALL) {
                if (t.moves()) {
                    try (ResultSet r = s.executeQuery("SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)::numeric), 0)"
                            + " FROM " + t.name() + " t WHERE " + t.where(tenant))) {
                        r.next();
                        counts.put(t.name(), r.getLong(1));
                        prints.put(t.name(), r.getLong(1) + ":" + r.getBigDecimal(2).toPlainString());
                    }
                }
            }
        }
        return new TenantRows(counts, prints);
    }

    long total() {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }
}
