package io.trackedge.jobs.rollup;

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

    /**
     * {@code per_email}: one row per (tenant, group columns, email) of the day's events, the
     * group columns not null. Warm-up events (no campaign, no email) form one row per mailbox with
     * only {@code warmup_opens}/{@code warmup_replies} set; they drop out of any grouping by campaign.
     *
     * @param group the target's key columns after tenant_id, e.g. {@code campaign_id, step_id}
     * @param extra more per-email columns, each starting with a comma, or empty
     */
    static String perEmail(String group, String extra, Object tenantOrNull) {
        StringBuilder notNull = new StringBuilder();
        for (String col : group.split(",")) {
            notNull.append(" AND ").append(col.trim()).append(" IS NOT NULL");
        }
        return """
                per_email AS (
                  SELECT tenant_id, %1$s, email_id,
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
                  FROM email_events
                  WHERE occurred_at >= {start} AND occurred_at < {end}%3$s%4$s
                  GROUP BY tenant_id, %1$s, email_id
                )""".formatted(group, extra, notNull, Sql.tenantFilter("tenant_id", tenantOrNull));
    }
}
