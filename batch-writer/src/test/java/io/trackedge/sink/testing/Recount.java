package io.trackedge.sink.testing;

import java.sql.SQLException;
import java.util.List;

/**
 * Recounts the aggregates from the raw rows, to prove the per-batch folds: every daily counter
 * equals a GROUP BY over email_events (totals) and email_opens / email_clicks (uniques).
 */
public final class Recount {

    private Recount() {
    }

    static final String KEY = "tenant_id, user_id, coalesce(campaign_id, '-'), coalesce(mailbox_id, '-')";

    public static final String FROM_RAW = """
            WITH ev AS (
              SELECT %1$s AS k1, (occurred_at AT TIME ZONE 'UTC')::date AS d, event_type, is_machine, attributes
              FROM (SELECT e.*, CASE WHEN event_type IN ('warmup_open', 'warmup_reply') THEN NULL ELSE campaign_id END AS c2
                    FROM email_events e) x
            ), totals AS (
              SELECT k1, d,
                count(*) FILTER (WHERE event_type = 'sent') AS sent,
                count(*) FILTER (WHERE event_type = 'delivered') AS delivered,
                count(*) FILTER (WHERE event_type = 'open') AS opens_total,
                count(*) FILTER (WHERE event_type = 'open' AND NOT is_machine) AS opens_human,
                count(*) FILTER (WHERE event_type = 'open' AND is_machine) AS opens_machine,
                count(*) FILTER (WHERE event_type = 'click') AS clicks_total,
                count(*) FILTER (WHERE event_type = 'click' AND NOT is_machine) AS clicks_human,
                count(*) FILTER (WHERE event_type = 'click' AND is_machine) AS clicks_machine,
                count(*) FILTER (WHERE event_type = 'bounced') AS bounced,
                count(*) FILTER (WHERE event_type = 'bounced' AND attributes->>'bounce_type' = 'hard') AS hard,
                count(*) FILTER (WHERE event_type = 'bounced' AND attributes->>'bounce_type' IS DISTINCT FROM 'hard') AS soft,
                count(*) FILTER (WHERE event_type = 'replied') AS replied,
                count(*) FILTER (WHERE event_type = 'unsubscribed') AS unsubscribes,
                count(*) FILTER (WHERE event_type = 'complained') AS complaints,
                count(*) FILTER (WHERE event_type = 'warmup_open') AS warmup_opens,
                count(*) FILTER (WHERE event_type = 'warmup_reply') AS warmup_replies
              FROM ev GROUP BY k1, d
            ), uo AS (
              SELECT %2$s AS k1, (opened_at AT TIME ZONE 'UTC')::date AS d, count(*) AS n FROM email_opens GROUP BY 1, 2
            ), uc AS (
              SELECT %2$s AS k1, (clicked_at AT TIME ZONE 'UTC')::date AS d, count(*) AS n FROM email_clicks GROUP BY 1, 2
            )
            SELECT t.k1, t.d, sent, delivered, opens_total, coalesce(uo.n, 0), opens_human, opens_machine,
                   clicks_total, coalesce(uc.n, 0), clicks_human, clicks_machine, bounced, hard, soft, replied,
                   unsubscribes, complaints, warmup_opens, warmup_replies
            FROM totals t LEFT JOIN uo ON uo.k1 = t.k1 AND uo.d = t.d LEFT JOIN uc ON uc.k1 = t.k1 AND uc.d = t.d
            ORDER BY 1, 2
            """.formatted("tenant_id || '/' || user_id || '/' || coalesce(c2, '-') || '/' || coalesce(mailbox_id, '-')",
            "tenant_id || '/' || user_id || '/' || coalesce(campaign_id, '-') || '/' || coalesce(mailbox_id, '-')");

    public static final String FROM_DAILY = """
            SELECT tenant_id || '/' || user_id || '/' || coalesce(campaign_id, '-') || '/' || coalesce(mailbox_id, '-'),
                   date, emails_sent, emails_delivered, opens_total, opens_unique, opens_human, opens_machine,
                   clicks_total, clicks_unique, clicks_human, clicks_machine, emails_bounced, bounces_hard, bounces_soft,
                   emails_replied, unsubscribes, complaints, warmup_opens, warmup_replies
            FROM daily_analytics ORDER BY 1, 2
            """;

    /** The daily rows, and the same rows recounted from raw tables; equal when the folds are right. */
    public static List<List<String>> compare(TestDatabase db) throws SQLException {
        return List.of(db.rows(FROM_DAILY), db.rows(FROM_RAW));
    }
}
