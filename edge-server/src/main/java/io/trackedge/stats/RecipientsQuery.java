package io.trackedge.stats;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The SQL of {@code /v1/stats/recipients}: each email of a campaign that {@code /v1/stats}'s unique
 * count of the same {@code machine} counts, once, at the time it counts it.
 * <ul>
 *   <li>{@code machine=include}: the email's first open (click) of any kind, the first-touch table's row.</li>
 *   <li>opens, {@code exclude}: its first human read, an open or a click ({@code email_human_opens}),
 *       as {@code unique_opens} counts people who read with images off.</li>
 *   <li>otherwise: its first open (click) of that kind. Where the first touch was of the other kind (an
 *       Apple prefetch before the person's open, a scanner's click before the person's), that is its
 *       earliest raw event of the kind, found by the raw events' {@code (tenant_id, email_id)} index.</li>
 * </ul>
 * Before, {@code exclude} and {@code only} filtered on the kind of the first touch: a person whose mail
 * app prefetched the pixel, most Apple Mail readers, was not among who opened, though counted by
 * {@code unique_opens}. The rows of every campaign email are ranked before a page is cut, so a page costs
 * in proportion to the campaign's opened (clicked) emails, under the API's statement timeout.
 */
final class RecipientsQuery {

    /** The statement and its parameters, in order. */
    record Sql(String text, List<Object> params) {
    }

    private RecipientsQuery() {
    }

    /** Columns: email_id, lead_id, mailbox_id, step_id, the time, is_machine (and clicked_url for clicks). */
    static List<String> columns(boolean open) {
        List<String> columns = new ArrayList<>(List.of("email_id", "lead_id", "mailbox_id", "step_id",
                open ? "opened_at" : "clicked_at", "is_machine"));
        if (!open) {
            columns.add("clicked_url");
        }
        return columns;
    }

    /**
     * @param after the previous page's last (time, email id), or null for the first page
     * @param limit rows to read: one more than a page, to tell whether there is a next
     */
    static Sql of(UUID tenant, String campaign, boolean open, Machine machine, OffsetDateTime afterTime, String afterEmail,
                  int limit) {
        String table = open ? "email_opens" : "email_clicks";
        String at = open ? "opened_at" : "clicked_at";
        List<Object> p = new ArrayList<>();
        StringBuilder sql = new StringBuilder();
        String time;
        if (machine == Machine.INCLUDE) {
            time = "f." + at;
            sql.append("SELECT f.email_id, f.lead_id, f.mailbox_id, f.step_id, f.").append(at).append(", f.is_machine")
                    .append(open ? "" : ", f.clicked_url").append(" FROM ").append(table).append(" f WHERE f.tenant_id = ? AND f.campaign_id = ?");
            p.add(tenant);
            p.add(campaign);
        } else if (open && machine == Machine.EXCLUDE) {
            time = "f.opened_at";
            // The campaign's emails come from its first opens and clicks (both indexed by campaign), each one's
            // first human read from email_human_opens by its key: a lookup an email, whatever the tenant's size.
            sql.append("SELECT f.email_id, f.lead_id, f.mailbox_id, f.step_id, f.opened_at, false AS is_machine FROM (SELECT email_id"
                    + " FROM email_opens WHERE tenant_id = ? AND campaign_id = ? UNION SELECT email_id FROM email_clicks"
                    + " WHERE tenant_id = ? AND campaign_id = ?) c CROSS JOIN LATERAL (SELECT * FROM email_human_opens h"
                    + " WHERE h.tenant_id = ? AND h.email_id = c.email_id LIMIT 1) f WHERE true");
            p.add(tenant);
            p.add(campaign);
            p.add(tenant);
            p.add(campaign);
            p.add(tenant);
        } else {
            boolean machines = machine == Machine.ONLY;
            time = "k.at";
            sql.append("SELECT f.email_id, f.lead_id, f.mailbox_id, f.step_id, k.at, ").append(machines).append(" AS is_machine")
                    .append(open ? "" : ", k.url").append(" FROM ").append(table).append(" f CROSS JOIN LATERAL (SELECT f.").append(at)
                    .append(" AS at").append(open ? "" : ", f.clicked_url AS url").append(" WHERE f.is_machine = ").append(machines)
                    .append(" UNION ALL (SELECT e.occurred_at").append(open ? "" : ", e.url").append(" FROM email_events e WHERE f.is_machine <> ")
                    .append(machines).append(" AND e.tenant_id = f.tenant_id AND e.email_id = f.email_id AND e.event_type = '")
                    .append(open ? "open" : "click").append("' AND e.is_machine = ").append(machines)
                    .append(" ORDER BY e.occurred_at, e.event_id LIMIT 1)) k WHERE f.tenant_id = ? AND f.campaign_id = ?");
            p.add(tenant);
            p.add(campaign);
        }
        if (afterTime != null) {
            sql.append(" AND (").append(time).append(", f.email_id) > (?, ?)");
            p.add(afterTime);
            p.add(afterEmail);
        }
        sql.append(" ORDER BY ").append(time).append(", f.email_id LIMIT ").append(limit);
        return new Sql(sql.toString(), p);
    }
}
