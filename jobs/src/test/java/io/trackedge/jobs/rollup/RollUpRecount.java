package io.trackedge.jobs.rollup;

import io.trackedge.privacy.DailyCounts;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Each roll-up table beside an independent recount from {@code email_events}, written apart from
 * the roll-ups' SQL: one GROUP BY over every day at once (not a day at a time), distinct emails as
 * {@code count(DISTINCT email_id)} (not a per-email pre-aggregation), machine-only as a difference
 * of two distinct counts, and the health score and progress as their own arithmetic. Both queries of
 * a pair list the same columns in the same order, sorted by the table's key.
 */
public final class RollUpRecount {

    /** One table: its name, its key columns (for messages), the table query and the recount. */
    public record Pair(String table, int keyColumns, List<String> columns, String fromTable, String recount) {
    }

    private RollUpRecount() {
    }

    static final List<String> METRICS = List.of("sent", "delivered", "bounced", "bounces_hard", "bounces_soft", "replied",
            "unsubscribed", "spam_complaints", "opens_total", "opens_human", "opens_machine", "clicks_total", "clicks_human",
            "clicks_machine", "opened_tracked", "opened_human", "opened_machine", "clicked_tracked", "clicked_human",
            "clicked_machine");

    /** The metrics of {@link #METRICS} recounted over rows of email_events {@code e}, grouped by the caller. */
    private static final String RECOUNTED = """
            count(*) FILTER (WHERE e.event_type = 'sent') AS sent,
            count(*) FILTER (WHERE e.event_type = 'delivered') AS delivered,
            count(*) FILTER (WHERE e.event_type = 'bounced') AS bounced,
            count(*) FILTER (WHERE e.event_type = 'bounced' AND e.attributes->>'bounce_type' = 'hard') AS bounces_hard,
            count(*) FILTER (WHERE e.event_type = 'bounced' AND coalesce(e.attributes->>'bounce_type', '') <> 'hard') AS bounces_soft,
            count(*) FILTER (WHERE e.event_type = 'replied') AS replied,
            count(*) FILTER (WHERE e.event_type = 'unsubscribed') AS unsubscribed,
            count(*) FILTER (WHERE e.event_type = 'complained') AS spam_complaints,
            count(*) FILTER (WHERE e.event_type = 'open') AS opens_total,
            count(*) FILTER (WHERE e.event_type = 'open' AND e.is_machine = false) AS opens_human,
            count(*) FILTER (WHERE e.event_type = 'open' AND e.is_machine = true) AS opens_machine,
            count(*) FILTER (WHERE e.event_type = 'click') AS clicks_total,
            count(*) FILTER (WHERE e.event_type = 'click' AND e.is_machine = false) AS clicks_human,
            count(*) FILTER (WHERE e.event_type = 'click' AND e.is_machine = true) AS clicks_machine,
            count(DISTINCT e.email_id) FILTER (WHERE e.event_type = 'open' OR (e.event_type = 'click' AND NOT e.is_machine)) AS opened_tracked,
            count(DISTINCT e.email_id) FILTER (WHERE e.event_type IN ('open', 'click') AND NOT e.is_machine) AS opened_human,
            count(DISTINCT e.email_id) FILTER (WHERE e.event_type = 'open' OR (e.event_type = 'click' AND NOT e.is_machine))
              - count(DISTINCT e.email_id) FILTER (WHERE e.event_type IN ('open', 'click') AND NOT e.is_machine) AS opened_machine,
            count(DISTINCT e.email_id) FILTER (WHERE e.event_type = 'click') AS clicked_tracked,
            count(DISTINCT e.email_id) FILTER (WHERE e.event_type = 'click' AND NOT e.is_machine) AS clicked_human,
            count(DISTINCT e.email_id) FILTER (WHERE e.event_type = 'click')
              - count(DISTINCT e.email_id) FILTER (WHERE e.event_type = 'click' AND NOT e.is_machine) AS clicked_machine""";

    private static final String DAY = "(e.occurred_at AT TIME ZONE 'UTC')::date";
    private static final String EMAIL_EVENTS = "e.event_type NOT IN ('warmup_open', 'warmup_reply')";
    private static final String M = String.join(", ", METRICS);

    /** The health score formula of the README, as arithmetic over a recounted row (columns of r). */
    private static final String HEALTH = """
            CASE WHEN s.raw < 0 THEN 0 WHEN s.raw > 100 THEN 100 ELSE s.raw END""";
    private static final String HEALTH_RAW = """
            round(100.0
              - CASE WHEN r.bounce > 40 THEN 40 ELSE r.bounce END
              - CASE WHEN r.complaint > 40 THEN 40 ELSE r.complaint END
              - CASE WHEN r.warmup_opens = 0 THEN 0
                     WHEN r.warmup_replies * 1.0 / r.warmup_opens >= 0.3 THEN 0
                     ELSE 20 - 20 * (r.warmup_replies * 1.0 / r.warmup_opens) / 0.3 END)""";

    static final Pair CAMPAIGNS = new Pair("campaign_analytics", 3, cols("tenant_id, campaign_id, date", M + ", completed_leads"),
            "SELECT tenant_id, campaign_id, date, " + M + ", completed_leads FROM campaign_analytics ORDER BY 1, 2, 3",
            "SELECT e.tenant_id, e.campaign_id, " + DAY + ", " + RECOUNTED + ", "
                    + "count(DISTINCT coalesce(e.lead_id, (SELECT min(x.lead_id) FROM email_events x WHERE x.tenant_id = e.tenant_id"
                    + " AND x.email_id = e.email_id AND x.occurred_at < ((" + DAY + " + 1)::timestamp AT TIME ZONE 'UTC')"
                    + " AND x.occurred_at >= ((" + DAY + " - " + EmailMetricsRollUp.LEAD_LOOKBACK_DAYS + ")::timestamp AT TIME ZONE 'UTC'))))"
                    + " FILTER (WHERE e.event_type IN ('replied', 'unsubscribed', 'complained')"
                    + " OR (e.event_type = 'bounced' AND e.attributes->>'bounce_type' = 'hard'))"
                    + " FROM email_events e WHERE e.campaign_id IS NOT NULL AND " + EMAIL_EVENTS + " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3");

    static final Pair STEPS = new Pair("sequence_step_analytics", 4, cols("tenant_id, campaign_id, step_id, date", M),
            "SELECT tenant_id, campaign_id, step_id, date, " + M + " FROM sequence_step_analytics ORDER BY 1, 2, 3, 4",
            "SELECT e.tenant_id, e.campaign_id, l.step_id, " + DAY + ", " + RECOUNTED
                    + " FROM email_events e CROSS JOIN LATERAL (SELECT coalesce(e.step_id,"
                    // a step-less event: the least step the email's events of the day (in its campaign) name ...
                    + " (SELECT min(y.step_id) FROM email_events y WHERE y.tenant_id = e.tenant_id AND y.campaign_id = e.campaign_id"
                    + " AND y.email_id = e.email_id AND (y.occurred_at AT TIME ZONE 'UTC')::date = " + DAY + "),"
                    // ... else, when its step-less events of the day hold an outcome, the least its campaign's events of the 90 days before name
                    + " CASE WHEN EXISTS (SELECT 1 FROM email_events z WHERE z.tenant_id = e.tenant_id AND z.campaign_id = e.campaign_id"
                    + " AND z.email_id = e.email_id AND z.step_id IS NULL AND (z.occurred_at AT TIME ZONE 'UTC')::date = " + DAY
                    + " AND z.event_type IN ('replied', 'unsubscribed', 'complained', 'bounced'))"
                    + " THEN (SELECT min(x.step_id) FROM email_events x WHERE x.tenant_id = e.tenant_id AND x.email_id = e.email_id"
                    + " AND x.campaign_id = e.campaign_id AND x.occurred_at < ((" + DAY + " + 1)::timestamp AT TIME ZONE 'UTC')"
                    + " AND x.occurred_at >= ((" + DAY + " - " + EmailMetricsRollUp.LEAD_LOOKBACK_DAYS + ")::timestamp AT TIME ZONE 'UTC')) END)"
                    + " AS step_id) l"
                    + " WHERE e.campaign_id IS NOT NULL AND l.step_id IS NOT NULL AND " + EMAIL_EVENTS
                    + " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4");

    static final Pair LEADS = new Pair("lead_analytics", 4, cols("tenant_id, campaign_id, lead_id, date", M + ", status"),
            "SELECT tenant_id, campaign_id, lead_id, date, " + M + ", status FROM lead_analytics ORDER BY 1, 2, 3, 4",
            "SELECT r.*, CASE WHEN spam_complaints > 0 THEN 'complained' WHEN unsubscribed > 0 THEN 'unsubscribed'"
                    + " WHEN bounces_hard > 0 THEN 'bounced' WHEN replied > 0 THEN 'replied' WHEN clicked_human > 0 THEN 'clicked'"
                    + " WHEN opened_human > 0 THEN 'opened' WHEN delivered > 0 THEN 'delivered' WHEN sent > 0 THEN 'sent'"
                    + " WHEN bounced > 0 THEN 'soft_bounced' ELSE 'active' END"
                    + " FROM (SELECT e.tenant_id, e.campaign_id, l.lead_id, " + DAY + " AS d, " + RECOUNTED
                    + " FROM email_events e CROSS JOIN LATERAL (SELECT coalesce(e.lead_id,"
                    // a lead-less event: the least lead the email's events of the day (in its campaign) name ...
                    + " (SELECT min(y.lead_id) FROM email_events y WHERE y.tenant_id = e.tenant_id AND y.campaign_id = e.campaign_id"
                    + " AND y.email_id = e.email_id AND (y.occurred_at AT TIME ZONE 'UTC')::date = " + DAY + "),"
                    // ... else, when its lead-less events of the day hold a reply, unsubscribe, complaint or bounce, the least of the 90 days before
                    + " CASE WHEN EXISTS (SELECT 1 FROM email_events z WHERE z.tenant_id = e.tenant_id AND z.campaign_id = e.campaign_id"
                    + " AND z.email_id = e.email_id AND z.lead_id IS NULL AND (z.occurred_at AT TIME ZONE 'UTC')::date = " + DAY
                    + " AND z.event_type IN ('replied', 'unsubscribed', 'complained', 'bounced'))"
                    + " THEN (SELECT min(x.lead_id) FROM email_events x WHERE x.tenant_id = e.tenant_id AND x.email_id = e.email_id"
                    + " AND x.occurred_at < ((" + DAY + " + 1)::timestamp AT TIME ZONE 'UTC')"
                    + " AND x.occurred_at >= ((" + DAY + " - " + EmailMetricsRollUp.LEAD_LOOKBACK_DAYS + ")::timestamp AT TIME ZONE 'UTC')) END)"
                    + " AS lead_id) l"
                    + " WHERE e.campaign_id IS NOT NULL AND l.lead_id IS NOT NULL AND " + EMAIL_EVENTS
                    + " GROUP BY 1, 2, 3, 4) r ORDER BY 1, 2, 3, 4");

    /** Mailbox rows: campaign mail recounted, warm-up recounted apart, joined on (tenant, mailbox, day). */
    private static final String MAILBOX_DAY = "WITH mail AS (SELECT e.tenant_id, e.mailbox_id, " + DAY + " AS d, " + RECOUNTED
            + " FROM email_events e WHERE " + EMAIL_EVENTS + " AND e.mailbox_id IS NOT NULL GROUP BY 1, 2, 3),"
            + " warm AS (SELECT e.tenant_id, e.mailbox_id, " + DAY + " AS d,"
            + " count(*) FILTER (WHERE e.event_type = 'warmup_open') AS warmup_opens,"
            + " count(*) FILTER (WHERE e.event_type = 'warmup_reply') AS warmup_replies"
            + " FROM email_events e WHERE e.event_type IN ('warmup_open', 'warmup_reply') GROUP BY 1, 2, 3),"
            + " first_warm AS (SELECT tenant_id, mailbox_id, min((occurred_at AT TIME ZONE 'UTC')::date) AS first_day"
            + " FROM email_events WHERE event_type IN ('warmup_open', 'warmup_reply') GROUP BY 1, 2),"
            + " r AS (SELECT coalesce(mail.tenant_id, warm.tenant_id) AS tenant_id, coalesce(mail.mailbox_id, warm.mailbox_id) AS mailbox_id,"
            + " coalesce(mail.d, warm.d) AS d, "
            + METRICS.stream().map(m -> "coalesce(mail." + m + ", 0) AS " + m).reduce((a, b) -> a + ", " + b).orElseThrow()
            + ", coalesce(warm.warmup_opens, 0) AS warmup_opens, coalesce(warm.warmup_replies, 0) AS warmup_replies,"
            + " 400.0 * ((coalesce(mail.bounces_hard, 0) + w.hard) + (coalesce(mail.bounces_soft, 0) + w.soft) / 2.0) / outcomes.n AS bounce,"
            + " 4000.0 * (coalesce(mail.spam_complaints, 0) + w.complaints) / outcomes.n AS complaint"
            + " FROM mail FULL JOIN warm ON warm.tenant_id = mail.tenant_id AND warm.mailbox_id = mail.mailbox_id AND warm.d = mail.d"
            // the bounce and complaint rates are over the 7 days ending with the row's, recounted here from the raw mail
            + " CROSS JOIN LATERAL (SELECT coalesce(sum(p.sent), 0) AS sent, coalesce(sum(p.delivered), 0) AS delivered,"
            + " coalesce(sum(p.bounced), 0) AS bounced, coalesce(sum(p.bounces_hard), 0) AS hard, coalesce(sum(p.bounces_soft), 0) AS soft,"
            + " coalesce(sum(p.spam_complaints), 0) AS complaints FROM mail p WHERE p.tenant_id = coalesce(mail.tenant_id, warm.tenant_id)"
            + " AND p.mailbox_id = coalesce(mail.mailbox_id, warm.mailbox_id) AND p.d >= coalesce(mail.d, warm.d) - 6"
            + " AND p.d < coalesce(mail.d, warm.d)) w"
            + " CROSS JOIN LATERAL (SELECT greatest(coalesce(mail.sent, 0) + w.sent, coalesce(mail.delivered, 0) + coalesce(mail.bounced, 0)"
            + " + w.delivered + w.bounced, 1) AS n) outcomes),"
            + " s AS (SELECT r.*, " + HEALTH_RAW + " AS raw FROM r)";

    static final Pair MAILBOXES = new Pair("mailbox_analytics", 3,
            cols("tenant_id, mailbox_id, date", M + ", warmup_opens, warmup_replies, health_score, warmup_status, current_volume"),
            "SELECT tenant_id, mailbox_id, date, " + M + ", warmup_opens, warmup_replies, health_score, warmup_status, current_volume"
                    + " FROM mailbox_analytics ORDER BY 1, 2, 3",
            MAILBOX_DAY + " SELECT tenant_id, mailbox_id, d, " + M + ", warmup_opens, warmup_replies, " + HEALTH + ","
                    + " CASE WHEN warmup_opens > 0 OR warmup_replies > 0 THEN 'warming' END, sent FROM s ORDER BY 1, 2, 3");

    static final Pair WARMUP = new Pair("warmup_analytics", 3,
            cols("tenant_id, mailbox_id, date", M + ", warmup_opens, warmup_replies, health_score, progress_percentage"),
            "SELECT tenant_id, mailbox_id, date, " + M + ", warmup_opens, warmup_replies, health_score, progress_percentage"
                    + " FROM warmup_analytics ORDER BY 1, 2, 3",
            MAILBOX_DAY + " SELECT s.tenant_id, s.mailbox_id, s.d, " + M + ", warmup_opens, warmup_replies, " + HEALTH + ","
                    + " CASE WHEN (s.d - f.first_day + 1) * 100 / 30 > 100 THEN 100 ELSE (s.d - f.first_day + 1) * 100 / 30 END"
                    + " FROM s JOIN first_warm f ON f.tenant_id = s.tenant_id AND f.mailbox_id = s.mailbox_id"
                    + " WHERE warmup_opens + warmup_replies > 0 ORDER BY 1, 2, 3");

    static final Pair BILLING = new Pair("billing_analytics", 2,
            cols("tenant_id, period_start", "period_end, emails_sent, mailboxes_used, domains_used, campaigns_used, leads_used,"
                    + " warmups_active, events_recorded, opens_human, opens_machine, clicks_human, clicks_machine"),
            "SELECT tenant_id, period_start, period_end, emails_sent, mailboxes_used, domains_used, campaigns_used, leads_used,"
                    + " warmups_active, events_recorded, opens_human, opens_machine, clicks_human, clicks_machine"
                    + " FROM billing_analytics ORDER BY 1, 2",
            "SELECT tenant_id, date_trunc('month', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS m,"
                    + " (date_trunc('month', occurred_at AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC',"
                    + " count(*) FILTER (WHERE event_type = 'sent'),"
                    + " count(DISTINCT mailbox_id) FILTER (WHERE event_type = 'sent'),"
                    + " count(DISTINCT lower(split_part(mailbox_id, '@', 2))) FILTER (WHERE event_type = 'sent' AND mailbox_id LIKE '%@%'),"
                    + " count(DISTINCT campaign_id) FILTER (WHERE event_type = 'sent'),"
                    + " count(DISTINCT lead_id) FILTER (WHERE event_type = 'sent'),"
                    + " count(DISTINCT mailbox_id) FILTER (WHERE event_type::text LIKE 'warmup_%'),"
                    + " count(*),"
                    + " count(*) FILTER (WHERE event_type = 'open' AND NOT is_machine),"
                    + " count(*) FILTER (WHERE event_type = 'open' AND is_machine),"
                    + " count(*) FILTER (WHERE event_type = 'click' AND NOT is_machine),"
                    + " count(*) FILTER (WHERE event_type = 'click' AND is_machine)"
                    + " FROM email_events GROUP BY 1, 2, 3 ORDER BY 1, 2");

    public static final List<Pair> ALL = List.of(CAMPAIGNS, MAILBOXES, LEADS, STEPS, WARMUP, BILLING);

    /** A first-touch table, its time column and the counter it feeds, for {@link #DAILY}. */
    private static final String[][] FIRST_TOUCHES = {
        {"email_opens", "opened_at", "opens_unique"}, {"email_clicks", "clicked_at", "clicks_unique"},
        {"email_human_opens", "opened_at", "opens_unique_human"}};

    /**
     * {@code daily_analytics}: each counter of {@link DailyCounts#COUNTERS} in one pass over the
     * view {@code email_events} (warm-up events under a null campaign), the unique ones from the
     * first-touch tables, summed per sink key and UTC day; the one-step form of what
     * {@link DailyCounts} counts per sender context. Not in {@link #ALL}: the sink writes this table
     * as events arrive and the reconciliation only repairs it, so it matches a recount only after
     * the reconciliation has run over every day.
     */
    static final Pair DAILY = new Pair("daily_analytics", 5,
            cols(DailyCounts.KEY + ", date", DailyCounts.COLUMNS),
            "SELECT " + DailyCounts.KEY + ", date, " + DailyCounts.COLUMNS + " FROM daily_analytics ORDER BY 1, 2, 3, 4, 5",
            "SELECT " + DailyCounts.KEY + ", d, " + DailyCounts.COUNTERS.keySet().stream().map(k -> "sum(" + k + ")")
                    .collect(Collectors.joining(", "))
                    + " FROM (SELECT e.tenant_id, e.user_id, CASE WHEN " + EMAIL_EVENTS + " THEN e.campaign_id END AS campaign_id,"
                    + " e.mailbox_id, " + DAY + " AS d, " + DailyCounts.COUNTERS.entrySet().stream()
                    .map(c -> (c.getValue() == null ? "0" : "count(*) FILTER (WHERE " + c.getValue() + ")") + " AS " + c.getKey())
                    .collect(Collectors.joining(", ")) + " FROM email_events e GROUP BY 1, 2, 3, 4, 5"
                    + Arrays.stream(FIRST_TOUCHES).map(t -> " UNION ALL SELECT " + DailyCounts.KEY + ", (" + t[1]
                            + " AT TIME ZONE 'UTC')::date, " + DailyCounts.COUNTERS.keySet().stream()
                            .map(k -> k.equals(t[2]) ? "count(*)" : "0").collect(Collectors.joining(", "))
                            + " FROM " + t[0] + " GROUP BY 1, 2, 3, 4, 5").collect(Collectors.joining())
                    + ") u GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5");

    /**
     * Every difference between each roll-up table and its recount, as "table key column: table x,
     * recount y", "table missing row key" or "table extra row key"; empty when all match. Fails when
     * a recount has no rows (a test that compares nothing proves nothing).
     */
    public static List<String> differences(TestDatabase db) throws SQLException {
        List<String> problems = new ArrayList<>();
        for (Pair p : ALL) {
            List<String> recount = db.rows(p.recount());
            if (recount.isEmpty()) {
                problems.add(p.table() + ": the recount has no rows");
            }
            problems.addAll(differences(p, recount, db.rows(p.fromTable())));
        }
        return problems;
    }

    static List<String> differences(Pair p, List<String> expected, List<String> actual) {
        Map<String, String[]> want = byKey(p, expected);
        Map<String, String[]> got = byKey(p, actual);
        List<String> problems = new ArrayList<>();
        for (var e : want.entrySet()) {
            String[] g = got.get(e.getKey());
            if (g == null) {
                problems.add(p.table() + " missing row " + e.getKey());
                continue;
            }
            for (int i = p.keyColumns(); i < p.columns().size(); i++) {
                if (!String.valueOf(e.getValue()[i]).equals(String.valueOf(g[i]))) {
                    problems.add(p.table() + " " + e.getKey() + " " + p.columns().get(i) + ": table " + g[i] + ", recount "
                            + e.getValue()[i]);
                }
            }
        }
        for (String k : got.keySet()) {
            if (!want.containsKey(k)) {
                problems.add(p.table() + " extra row " + k);
            }
        }
        return problems;
    }

    private static Map<String, String[]> byKey(Pair p, List<String> rows) {
        Map<String, String[]> out = new LinkedHashMap<>();
        for (String row : rows) {
            String[] cols = row.split("\\|", -1);
            if (cols.length != p.columns().size()) {
                throw new IllegalStateException(p.table() + " row " + row + " does not have the columns " + p.columns());
            }
            out.put(String.join("|", Arrays.copyOf(cols, p.keyColumns())), cols);
        }
        return out;
    }

    private static List<String> cols(String key, String rest) {
        return List.of((key + ", " + rest).split(",\\s*"));
    }
}
