package io.trackedge.sink.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.UUID;

/**
 * The emails a {@link Rescore} reads, in the temporary table {@code rescore_emails (tenant_id, email_id)}:
 * those with an open or click in {@code [since, until)} that it may classify again. An open or click
 * is left out when its tenant is out of the {@link RescoreScope}, or when its row is marked
 * {@code redacted} (sql/V40: the privacy policy cut its address or User-Agent before it was stored,
 * whatever the tenant's settings are now). An email whose opens and clicks of the period are all
 * marked is not read at all.
 */
final class RescoreEmails {

    private RescoreEmails() {
    }

    /**
     * Makes {@code rescore_emails} (dropped at commit) in {@code c}'s transaction.
     *
     * @return how many opens and clicks of the period, of the tenants in scope, are left out for their mark
     */
    static long select(Connection c, Instant since, Instant until, UUID tenantOrNull, RescoreScope scope) throws SQLException {
        // email_event_rows, not the view: the mark is the table's alone.
        try (PreparedStatement s = c.prepareStatement("CREATE TEMP TABLE rescore_emails ON COMMIT DROP AS"
                + " SELECT tenant_id, email_id, count(*) FILTER (WHERE redacted) AS redacted,"
                + " count(*) FILTER (WHERE redacted IS NOT TRUE) AS rescored"
                + " FROM email_event_rows WHERE event_type IN ('open', 'click')"
                + " AND occurred_at >= ? AND occurred_at < ? AND email_id IS NOT NULL"
                + (tenantOrNull == null ? "" : " AND tenant_id = ?")
                + (!scope.leavesOut() ? "" : scope.allByDefault() ? " AND NOT (tenant_id = ANY (?))" : " AND tenant_id = ANY (?)")
                + " GROUP BY tenant_id, email_id")) {
            s.setTimestamp(1, Timestamp.from(since));
            s.setTimestamp(2, Timestamp.from(until));
            int i = 3;
            if (tenantOrNull != null) {
                s.setObject(i++, tenantOrNull);
            }
            if (scope.leavesOut()) {
                s.setArray(i, c.createArrayOf("uuid", scope.exceptions().toArray()));
            }
            s.execute();
        }
        long leftOut;
        try (Statement s = c.createStatement()) {
            try (ResultSet r = s.executeQuery("SELECT coalesce(sum(redacted), 0) FROM rescore_emails")) {
                r.next();
                leftOut = r.getLong(1);
            }
            s.execute("DELETE FROM rescore_emails WHERE rescored = 0");
            s.execute("ANALYZE rescore_emails");
        }
        return leftOut;
    }
}
