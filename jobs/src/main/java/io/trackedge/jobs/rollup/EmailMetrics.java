package io.trackedge.jobs.rollup;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The SQL that every per-day email table shares: one scan of the day's raw events, grouped first
 * per email (so "distinct emails" costs a second, small aggregation instead of a
 * {@code count(DISTINCT)} sort), then per row of the target table.
 *
 * <p>Per row and day, from {@code email_events}:
 * <ul>
 *   <li>event counts: {@code sent, delivered, bounced} (= {@code bounces_hard + bounces_soft}; a
 *       bounce whose type is not {@code hard} is soft, as in the sink), {@code replied,
 *       unsubscribed, spam_complaints}, {@code opens_total = opens_human + opens_machine},
 *       {@code clicks_total = clicks_human + clicks_machine};</li>
 *   <li>distinct emails: {@code opened_human}, emails with a human open <em>or a human click</em>
 *       (a person who clicked read the email, even when the image was blocked);
 *       {@code opened_machine}, emails with a machine open and no human open or click;
 *       {@code opened_tracked = opened_human + opened_machine}; {@code clicked_human}, emails with a
 *       human click; {@code clicked_machine}, emails with machine clicks only;
 *       {@code clicked_tracked = clicked_human + clicked_machine}.</li>
 * </ul>
 * Human or machine is {@code email_events.is_machine} as it stands when the roll-up runs, so a
 * re-run after reclassification moves the counts. "Distinct" is per day: an email opened on two
 * days counts on both (the first-ever open is {@code daily_analytics.opens_unique} and
 * {@code email_opens}).
 */
final class EmailMetrics {

    private EmailMetrics() {
    }

    /** The target columns filled by {@link #SELECTED}, in order. */
    static final String COLUMNS = "sent, delivered, bounced, bounces_hard, bounces_soft, replied, unsubscribed, "
            + "spam_complaints, opens_total, opens_human, opens_machine, clicks_total, clicks_human, clicks_machine, "
            + "opened_tracked, opened_human, opened_machine, clicked_tracked, clicked_human, clicked_machine";

    /** The aggregates over {@code per_email} that fill {@link #COLUMNS}, named like them. */
    static final String SELECTED = """
            sum(sent) AS sent, sum(delivered) AS delivered, sum(bounced) AS bounced, sum(hard) AS bounces_hard,
            sum(bounced - hard) AS bounces_soft, sum(replied) AS replied, sum(unsubscribed) AS unsubscribed,
            sum(complained) AS spam_complaints, sum(opens) AS opens_total, sum(opens_h) AS opens_human,
            sum(opens - opens_h) AS opens_machine, sum(clicks) AS clicks_total, sum(clicks_h) AS clicks_human,
            sum(clicks - clicks_h) AS clicks_machine,
            count(*) FILTER (WHERE opens > 0 OR clicks_h > 0) AS opened_tracked,
            count(*) FILTER (WHERE opens_h > 0 OR clicks_h > 0) AS opened_human,
            count(*) FILTER (WHERE opens > 0 AND opens_h = 0 AND clicks_h = 0) AS opened_machine,
            count(*) FILTER (WHERE clicks > 0) AS clicked_tracked,
            count(*) FILTER (WHERE clicks_h > 0) AS clicked_human,
            count(*) FILTER (WHERE clicks > 0 AND clicks_h = 0) AS clicked_machine""";

    /** The columns stored once per sender in {@code event_contexts} rather than on each row (V26). */
    private static final List<String> CONTEXT_COLUMNS = List.of("user_id", "campaign_id", "mailbox_id", "step_id");

    /**
     * {@code per_email}: one row per (tenant, group columns, email) of the day's events, the
     * group columns not null. Warm-up events (no campaign, no email) form one row per mailbox with
     * only {@code warmup_opens}/{@code warmup_replies} set; they drop out of any grouping by campaign.
     *
     * <p>Counted in two steps, which keeps the roll-ups near the cost they had before the sender
     * fields moved to {@code event_contexts}: first per (tenant, context, email) straight from
     * {@code email_event_rows}, then joined to the contexts and summed per group, so about one row
     * per email is joined. Through the view {@code email_events}, every event would be joined and
     * the joined rows sorted: two to three times the PostgreSQL time for a day (docs/benchmarks.md).
     * The result is the one-step count over the view ({@code RollUpRecountIT} compares).
     *
     * @param group the target's key columns after tenant_id, e.g. {@code campaign_id, step_id}
     * @param minOf row columns to carry per email as their {@code min}, e.g. {@code lead_id}
     */
    static String perEmail(String group, Object tenantOrNull, String... minOf) {
        return perEmail(group, tenantOrNull, Set.of(), minOf);
    }

    /**
     * {@link #perEmail(String, Object, String...)}, with the group columns in {@code nullable} kept where
     * null (a row of their own per email): the caller decides what such a row counts for.
     */
    static String perEmail(String group, Object tenantOrNull, Set<String> nullable, String... minOf) {
        List<String> groupColumns = Arrays.stream(group.split(",")).map(String::trim).toList();
        List<String> rowGroup = groupColumns.stream().filter(col -> !CONTEXT_COLUMNS.contains(col)).toList();
        StringBuilder rowsNotNull = new StringBuilder();
        StringBuilder contextsNotNull = new StringBuilder();
        for (String col : groupColumns) {
            if (nullable.contains(col)) {
                continue;
            }
            (rowGroup.contains(col) ? rowsNotNull.append(" AND ") : contextsNotNull.append(" AND c.")).append(col).append(" IS NOT NULL");
        }
        StringBuilder innerGroup = new StringBuilder("tenant_id, context_id, ");
        rowGroup.forEach(col -> innerGroup.append(col).append(", "));
        StringBuilder outerGroup = new StringBuilder("r.tenant_id, ");
        groupColumns.forEach(col -> outerGroup.append(rowGroup.contains(col) ? "r." : "c.").append(col).append(", "));
        StringBuilder innerMins = new StringBuilder();
        StringBuilder outerMins = new StringBuilder();
        for (String col : minOf) {
            innerMins.append(", min(").append(col).append(") AS ").append(col);
            outerMins.append(", min(r.").append(col).append(") AS ").append(col);
        }
        return """
                per_context AS (
                  SELECT %1$semail_id,
                    count(*) FILTER (WHERE event_type = 'sent')::int AS sent,
                    count(*) FILTER (WHERE event_type = 'delivered')::int AS delivered,
                    count(*) FILTER (WHERE event_type = 'bounced')::int AS bounced,
                    count(*) FILTER (WHERE event_type = 'bounced' AND attributes->>'bounce_type' = 'hard')::int AS hard,
                    count(*) FILTER (WHERE event_type = 'replied')::int AS replied,
                    count(*) FILTER (WHERE event_type = 'unsubscribed')::int AS unsubscribed,
                    count(*) FILTER (WHERE event_type = 'complained')::int AS complained,
                    count(*) FILTER (WHERE event_type = 'open')::int AS opens,
                    count(*) FILTER (WHERE event_type = 'open' AND NOT is_machine)::int AS opens_h,
                    count(*) FILTER (WHERE event_type = 'click')::int AS clicks,
                    count(*) FILTER (WHERE event_type = 'click' AND NOT is_machine)::int AS clicks_h,
                    count(*) FILTER (WHERE event_type = 'warmup_open')::int AS warmup_opens,
                    count(*) FILTER (WHERE event_type = 'warmup_reply')::int AS warmup_replies%2$s
                  FROM email_event_rows
                  WHERE occurred_at >= {start} AND occurred_at < {end}%3$s%4$s
                  GROUP BY %1$semail_id
                ),
                per_email AS (
                  SELECT %5$sr.email_id,
                    sum(sent)::int AS sent, sum(delivered)::int AS delivered, sum(bounced)::int AS bounced,
                    sum(hard)::int AS hard, sum(replied)::int AS replied, sum(unsubscribed)::int AS unsubscribed,
                    sum(complained)::int AS complained, sum(opens)::int AS opens, sum(opens_h)::int AS opens_h,
                    sum(clicks)::int AS clicks, sum(clicks_h)::int AS clicks_h, sum(warmup_opens)::int AS warmup_opens,
                    sum(warmup_replies)::int AS warmup_replies%6$s
                  FROM per_context r JOIN event_contexts c ON c.tenant_id = r.tenant_id AND c.context_id = r.context_id%7$s
                  GROUP BY %5$sr.email_id
                )""".formatted(innerGroup, innerMins, rowsNotNull, Sql.tenantFilter("tenant_id", tenantOrNull),
                outerGroup, outerMins, contextsNotNull);
    }
}
