package io.trackedge.sink.testing;

import java.sql.SQLException;
import java.util.List;

/**
 * Recounts the aggregates from the raw rows, to prove the per-batch folds: every daily counter
 * equals a GROUP BY over email_events (totals) and email_opens / email_clicks / email_human_opens (uniques); every
 * warmup_daily_stats row equals a GROUP BY over the warm-up events; and email_bounces,
 * email_replies and warmup_interactions hold exactly the raw events of their type.
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
            ), uh AS (
              SELECT %2$s AS k1, (opened_at AT TIME ZONE 'UTC')::date AS d, count(*) AS n FROM email_human_opens GROUP BY 1, 2
            )
            SELECT t.k1, t.d, sent, delivered, opens_total, coalesce(uo.n, 0), coalesce(uh.n, 0), opens_human, opens_machine,
                   clicks_total, coalesce(uc.n, 0), clicks_human, clicks_machine, bounced, hard, soft, replied,
                   unsubscribes, complaints, warmup_opens, warmup_replies
            FROM totals t LEFT JOIN uo ON uo.k1 = t.k1 AND uo.d = t.d LEFT JOIN uc ON uc.k1 = t.k1 AND uc.d = t.d
              LEFT JOIN uh ON uh.k1 = t.k1 AND uh.d = t.d
            ORDER BY 1, 2
            """.formatted("tenant_id || '/' || user_id || '/' || coalesce(c2, '-') || '/' || coalesce(mailbox_id, '-')",
            "tenant_id || '/' || user_id || '/' || coalesce(campaign_id, '-') || '/' || coalesce(mailbox_id, '-')");

    public static final String FROM_DAILY = """
            SELECT tenant_id || '/' || user_id || '/' || coalesce(campaign_id, '-') || '/' || coalesce(mailbox_id, '-'),
                   date, emails_sent, emails_delivered, opens_total, opens_unique, opens_unique_human, opens_human, opens_machine,
                   clicks_total, clicks_unique, clicks_human, clicks_machine, emails_bounced, bounces_hard, bounces_soft,
                   emails_replied, unsubscribes, complaints, warmup_opens, warmup_replies
            FROM daily_analytics ORDER BY 1, 2
            """;

    public static final String WARMUP_FROM_RAW = """
            SELECT tenant_id || '/' || user_id || '/' || mailbox_id, (occurred_at AT TIME ZONE 'UTC')::date,
                   count(*) FILTER (WHERE event_type = 'warmup_open'), count(*) FILTER (WHERE event_type = 'warmup_reply')
            FROM email_events WHERE event_type IN ('warmup_open', 'warmup_reply') GROUP BY 1, 2 ORDER BY 1, 2
            """;

    public static final String WARMUP_FROM_STATS = """
            SELECT tenant_id || '/' || user_id || '/' || mailbox_id, date, opens_received, replies_received
            FROM warmup_daily_stats ORDER BY 1, 2
            """;

    /** Each ingest table beside the raw events of its type, row for row: {raw query, table query}. */
    private static final List<String[]> INGEST_TABLES = List.of(
            new String[] {"""
                SELECT event_id, tenant_id, user_id, email_id, campaign_id, mailbox_id, lead_id, step_id,
                       attributes->>'bounce_type', attributes->>'bounce_reason', occurred_at
                FROM email_events WHERE event_type = 'bounced' ORDER BY 1, 2""", """
                SELECT event_id, tenant_id, user_id, email_id, campaign_id, mailbox_id, lead_id, step_id,
                       bounce_type, bounce_reason, bounced_at FROM email_bounces ORDER BY 1, 2"""},
            new String[] {"""
                SELECT event_id, tenant_id, user_id, email_id, campaign_id, mailbox_id, lead_id, step_id,
                       attributes->>'message_id', occurred_at
                FROM email_events WHERE event_type = 'replied' ORDER BY 1, 2""", """
                SELECT event_id, tenant_id, user_id, email_id, campaign_id, mailbox_id, lead_id, step_id,
                       message_id, replied_at FROM email_replies ORDER BY 1, 2"""},
            new String[] {"""
                SELECT event_id, tenant_id, user_id, mailbox_id, substr(event_type::text, 8), attributes->>'partner_mailbox',
                       occurred_at
                FROM email_events WHERE event_type IN ('warmup_open', 'warmup_reply') ORDER BY 1, 2""", """
                SELECT event_id, tenant_id, user_id, mailbox_id, interaction_type, partner_mailbox, interaction_at
                FROM warmup_interactions ORDER BY 1, 2"""});

    /** warmup_daily_stats, and the same rows recounted from email_events; equal when the fold is right. */
    public static List<List<String>> compareWarmup(TestDatabase db) throws SQLException {
        return List.of(db.rows(WARMUP_FROM_STATS), db.rows(WARMUP_FROM_RAW));
    }

    /**
     * For email_bounces, email_replies and warmup_interactions in turn, the table's rows and the
     * same rows made from email_events: six lists, table then raw, three times.
     */
    public static List<List<String>> compareIngestTables(TestDatabase db) throws SQLException {
        List<List<String>> out = new java.util.ArrayList<>();
        for (String[] pair : INGEST_TABLES) {
            out.add(db.rows(pair[1]));
            out.add(db.rows(pair[0]));
        }
        return out;
    }

    /**
     * email_human_opens as stored, and as defined: each email's earliest open or click that is not
     * is_machine (by occurred_at, then event id). Equal when the sink's inserts and corrections are right.
     */
    public static final String HUMAN_OPENS_STORED = """
            SELECT tenant_id, email_id, user_id, campaign_id, event_id, event_type, opened_at FROM email_human_opens ORDER BY 1, 2""";
    public static final String HUMAN_OPENS_DEFINED = """
            SELECT DISTINCT ON (tenant_id, email_id) tenant_id, email_id, user_id, campaign_id, event_id, event_type, occurred_at
            FROM email_events WHERE event_type IN ('open', 'click') AND NOT is_machine
            ORDER BY tenant_id, email_id, occurred_at, event_id""";

    /** The daily rows, and the same rows recounted from raw tables; equal when the folds are right. */
    public static List<List<String>> compare(TestDatabase db) throws SQLException {
        return List.of(db.rows(FROM_DAILY), db.rows(FROM_RAW));
    }

    /**
     * Stored events whose User-Agent id has no text in {@code user_agents} for their tenant: 0 when
     * every batch that stored an id also committed its text (or an earlier committed batch did).
     */
    public static long userAgentsMissing(TestDatabase db) throws SQLException {
        return db.count("SELECT count(*) FROM email_events e WHERE e.user_agent_id IS NOT NULL AND NOT EXISTS"
                + " (SELECT 1 FROM user_agents u WHERE u.tenant_id = e.tenant_id AND u.user_agent_id = e.user_agent_id)");
    }
}
