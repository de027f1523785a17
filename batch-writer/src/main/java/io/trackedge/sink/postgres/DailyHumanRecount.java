package io.trackedge.sink.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;

/**
 * The re-score's recount of {@code daily_analytics}' human and machine columns (opens, clicks, unique
 * human opens) for the (tenant, UTC day) pairs whose verdicts moved: from the raw tables and
 * {@code email_human_opens}, plus {@code daily_unstored}'s counts, as the daily reconciliation
 * recounts. Only rows that differ are rewritten.
 */
final class DailyHumanRecount {

    private DailyHumanRecount() {
    }

    /** Recounts the human/machine columns of every daily_analytics row of the (tenant, day) pairs, in {@code c}'s transaction. */
    static void run(Connection c, Set<Rescore.TenantDay> days) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS rescore_days");
            s.execute("CREATE TEMP TABLE rescore_days (tenant_id uuid, day date, day_start timestamptz, day_end timestamptz)"
                    + " ON COMMIT DROP");
        }
        try (PreparedStatement s = c.prepareStatement("INSERT INTO rescore_days VALUES (?, ?, ?::date::timestamp AT TIME ZONE 'UTC',"
                + " (?::date + 1)::timestamp AT TIME ZONE 'UTC')")) {
            for (Rescore.TenantDay d : days) {
                s.setObject(1, d.tenant());
                s.setObject(2, d.day());
                s.setObject(3, d.day());
                s.setObject(4, d.day());
                s.addBatch();
            }
            s.executeBatch();
        }
        try (Statement s = c.createStatement()) {
            // The raw tables plus daily_unstored (V14): what was counted without a row (aggregate-only tenants,
            // recipients within an erasure's hold) and what erasures deleted, as the daily reconciliation
            // recounts; the raw tables alone lowered those counts to what is still stored.
            s.executeUpdate("WITH ev AS (SELECT tenant_id, user_id, campaign_id, mailbox_id, date, sum(oh) AS oh, sum(om) AS om,"
                    + " sum(ch) AS ch, sum(cm) AS cm FROM (SELECT e.tenant_id, e.user_id, e.campaign_id, e.mailbox_id, a.day AS date,"
                    + " count(*) FILTER (WHERE event_type = 'open' AND NOT is_machine) AS oh,"
                    + " count(*) FILTER (WHERE event_type = 'open' AND is_machine) AS om,"
                    + " count(*) FILTER (WHERE event_type = 'click' AND NOT is_machine) AS ch,"
                    + " count(*) FILTER (WHERE event_type = 'click' AND is_machine) AS cm"
                    + " FROM email_events e JOIN rescore_days a ON e.tenant_id = a.tenant_id AND e.occurred_at >= a.day_start"
                    + " AND e.occurred_at < a.day_end WHERE e.event_type IN ('open', 'click') GROUP BY 1, 2, 3, 4, 5"
                    + " UNION ALL SELECT u.tenant_id, u.user_id, u.campaign_id, u.mailbox_id, u.date, u.opens_human, u.opens_machine,"
                    + " u.clicks_human, u.clicks_machine FROM daily_unstored u JOIN rescore_days a ON u.tenant_id = a.tenant_id"
                    + " AND u.date = a.day) x GROUP BY 1, 2, 3, 4, 5),"
                    + " hu AS (SELECT tenant_id, user_id, campaign_id, mailbox_id, date, sum(n) AS n FROM ("
                    + "SELECT h.tenant_id, h.user_id, h.campaign_id, h.mailbox_id, a.day AS date, count(*) AS n"
                    + " FROM email_human_opens h JOIN rescore_days a ON h.tenant_id = a.tenant_id AND h.opened_at >= a.day_start"
                    + " AND h.opened_at < a.day_end GROUP BY 1, 2, 3, 4, 5"
                    + " UNION ALL SELECT u.tenant_id, u.user_id, u.campaign_id, u.mailbox_id, u.date, u.opens_unique_human"
                    + " FROM daily_unstored u JOIN rescore_days a ON u.tenant_id = a.tenant_id AND u.date = a.day) y"
                    + " GROUP BY 1, 2, 3, 4, 5)"
                    + " UPDATE daily_analytics d SET opens_human = r.oh, opens_machine = r.om, clicks_human = r.ch,"
                    + " clicks_machine = r.cm, opens_unique_human = r.uh, updated_at = now()"
                    + " FROM (SELECT k.tenant_id, k.user_id, k.campaign_id, k.mailbox_id, k.date, coalesce(ev.oh, 0) AS oh,"
                    + " coalesce(ev.om, 0) AS om, coalesce(ev.ch, 0) AS ch, coalesce(ev.cm, 0) AS cm, coalesce(hu.n, 0) AS uh"
                    + " FROM daily_analytics k JOIN rescore_days a ON k.tenant_id = a.tenant_id AND k.date = a.day"
                    + " LEFT JOIN ev ON " + sameKey("ev", "k") + " LEFT JOIN hu ON " + sameKey("hu", "k") + ") r"
                    + " WHERE " + sameKey("d", "r")
                    + " AND (d.opens_human, d.opens_machine, d.clicks_human, d.clicks_machine, d.opens_unique_human)"
                    + " IS DISTINCT FROM (r.oh, r.om, r.ch, r.cm, r.uh)");
        }
    }

    private static String sameKey(String a, String b) {
        return (a + ".tenant_id = " + b + ".tenant_id AND " + a + ".user_id = " + b + ".user_id AND " + a + ".campaign_id"
                + " IS NOT DISTINCT FROM " + b + ".campaign_id AND " + a + ".mailbox_id IS NOT DISTINCT FROM " + b
                + ".mailbox_id AND " + a + ".date = " + b + ".date");
    }

}
