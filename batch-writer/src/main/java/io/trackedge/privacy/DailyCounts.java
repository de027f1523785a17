package io.trackedge.privacy;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * How raw rows count in {@code daily_analytics}, as SQL: one definition for the two places that
 * count raw rows per sink key and UTC day, the nightly reconciliation ({@code daily_reconcile},
 * which recounts a day) and {@link Erasure} (which adds what it deletes to {@code daily_unstored}).
 * Every counter but the unique ones counts {@code email_events} rows (warm-up events under a null
 * campaign, as the sink keys them); the unique ones count first-touch rows
 * ({@code email_opens}, {@code email_clicks}, {@code email_human_opens}) on their own key.
 *
 * <p>Events are counted per sender context from {@code email_event_rows} and only then joined to
 * {@code event_contexts} for the key, rather than read through the view {@code email_events}, which
 * would join every event: a day's reconciliation took about 1.7 times the PostgreSQL time that way
 * (docs/benchmarks.md).
 */
public final class DailyCounts {

    /** The key columns of {@code daily_analytics} and {@code daily_unstored}, without the date. */
    public static final String KEY = "tenant_id, user_id, campaign_id, mailbox_id";

    /** Each counter column and its filter over {@code email_events}; null for the first-touch counts. */
    public static final Map<String, String> COUNTERS;

    static {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("emails_sent", "event_type = 'sent'");
        m.put("emails_delivered", "event_type = 'delivered'");
        m.put("opens_total", "event_type = 'open'");
        m.put("opens_unique", null);
        m.put("opens_unique_human", null);
        m.put("opens_human", "event_type = 'open' AND NOT is_machine");
        m.put("opens_machine", "event_type = 'open' AND is_machine");
        m.put("clicks_total", "event_type = 'click'");
        m.put("clicks_unique", null);
        m.put("clicks_human", "event_type = 'click' AND NOT is_machine");
        m.put("clicks_machine", "event_type = 'click' AND is_machine");
        m.put("emails_bounced", "event_type = 'bounced'");
        m.put("bounces_hard", "event_type = 'bounced' AND attributes->>'bounce_type' = 'hard'");
        m.put("bounces_soft", "event_type = 'bounced' AND attributes->>'bounce_type' IS DISTINCT FROM 'hard'");
        m.put("emails_replied", "event_type = 'replied'");
        m.put("unsubscribes", "event_type = 'unsubscribed'");
        m.put("complaints", "event_type = 'complained'");
        m.put("warmup_opens", "event_type = 'warmup_open'");
        m.put("warmup_replies", "event_type = 'warmup_reply'");
        COUNTERS = Collections.unmodifiableMap(m);
    }

    /** The counter columns, comma-separated, in {@link #COUNTERS} order. */
    public static final String COLUMNS = String.join(", ", COUNTERS.keySet());

    /** The first-touch tables: table, its time column, the counter it feeds. */
    private static final String[][] FIRST_TOUCHES = {
        {"email_opens", "opened_at", "opens_unique"},
        {"email_clicks", "clicked_at", "clicks_unique"},
        {"email_human_opens", "opened_at", "opens_unique_human"}};

    private DailyCounts() {
    }

    /**
     * {@code SELECT <KEY>, date, <COLUMNS>} summed per key and UTC day over the rows that
     * {@code where} admits.
     *
     * @param where given a table's time column ({@code occurred_at}, {@code opened_at},
     *     {@code clicked_at}), the condition on that table's rows; it is used once per table, in
     *     the order email_events, email_opens, email_clicks, email_human_opens
     */
    public static String perKeyAndDay(UnaryOperator<String> where) {
        String events = COUNTERS.entrySet().stream()
                .map(e -> e.getValue() == null ? "0::bigint AS " + e.getKey()
                        : "count(*) FILTER (WHERE " + e.getValue() + ") AS " + e.getKey())
                .collect(Collectors.joining(", "));
        StringBuilder sql = new StringBuilder("SELECT ").append(KEY).append(", date, ")
                .append(COUNTERS.keySet().stream().map(k -> "sum(" + k + ")::bigint AS " + k).collect(Collectors.joining(", ")))
                .append(" FROM (SELECT c.tenant_id, c.user_id, CASE WHEN r.warm THEN NULL ELSE c.campaign_id END AS campaign_id,")
                .append(" c.mailbox_id, r.date, ").append(String.join(", ", COUNTERS.keySet()))
                .append(" FROM (SELECT tenant_id, context_id, event_type IN ('warmup_open', 'warmup_reply') AS warm,")
                .append(" (occurred_at AT TIME ZONE 'UTC')::date AS date, ").append(events)
                .append(" FROM email_event_rows WHERE ").append(where.apply("occurred_at")).append(" GROUP BY 1, 2, 3, 4) r")
                .append(" JOIN event_contexts c ON c.tenant_id = r.tenant_id AND c.context_id = r.context_id");
        for (String[] t : FIRST_TOUCHES) {
            sql.append(" UNION ALL SELECT ").append(KEY).append(", (").append(t[1]).append(" AT TIME ZONE 'UTC')::date, ")
                    .append(COUNTERS.keySet().stream().map(k -> k.equals(t[2]) ? "count(*)" : "0").collect(Collectors.joining(", ")))
                    .append(" FROM ").append(t[0]).append(" WHERE ").append(where.apply(t[1])).append(" GROUP BY 1, 2, 3, 4, 5");
        }
        return sql.append(") u GROUP BY ").append(KEY).append(", date").toString();
    }
}
