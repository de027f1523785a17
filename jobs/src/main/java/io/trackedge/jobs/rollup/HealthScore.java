package io.trackedge.jobs.rollup;

/**
 * The mailbox health (reputation) score, 0 to 100, of one mailbox on one UTC day, written to
 * {@code mailbox_analytics.health_score}, {@code warmup_analytics.health_score} and
 * {@code warmup_daily_stats.reputation_score}. It starts at 100 and loses points for what hurts a
 * sender's reputation; the absence of a signal costs nothing (a quiet week scores 100):
 *
 * <pre>
 *   over the 7 days ending with the day (its own counts and the mailbox's mailbox_analytics rows of
 *   the 6 days before):
 *   outcomes   = max(sent, delivered + bounced, 1)
 *   bounce     = min(40, 400  * (bounces_hard + 0.5 * bounces_soft) / outcomes)   10 % hard bounces: -40
 *   complaint  = min(40, 4000 * spam_complaints / outcomes)                      0.3 % complaints:  -12
 *   of the day alone:
 *   warm-up    = 0 when warmup_opens = 0, else
 *                20 * (1 - min(1, (warmup_replies / warmup_opens) / 0.3))        30 % replies per open: 0
 *   health     = clamp(round(100 - bounce - complaint - warm-up), 0, 100)        (round half away from 0)
 * </pre>
 *
 * Bounces and complaints come a day or more after the mail they answer, so they are rates over a
 * week: counted against the day's sends alone, one complaint on a day that sent nothing cost 40
 * points (a rate of 100 %), where a week of 1,000 sends puts it at 0.1 %. The earlier days are read
 * from {@code mailbox_analytics} as they stand when the job runs: a closed day re-run later (late
 * events) does not move the six days' scores after it, which keep the week they were computed with;
 * days run out of order (a backfill) read the earlier days only as far as they were done. The
 * weights follow the usual mailbox-provider limits: hard bounces past a few percent and complaints past 0.3 % (Gmail's bulk-sender limit) are what
 * gets a domain throttled; replies to warm-up mail are the strongest inbox-placement signal.
 */
final class HealthScore {

    /** Days the bounce and complaint rates are taken over, the scored day included. */
    static final int WINDOW_DAYS = 7;

    private HealthScore() {
    }

    /**
     * A lateral join adding the mailbox's counts of the {@link #WINDOW_DAYS} - 1 days before {@code {date}},
     * as {@code w_sent}, {@code w_delivered}, {@code w_bounced}, {@code w_hard}, {@code w_soft} and
     * {@code w_complaints}, to each row of {@code alias} (which has tenant_id and mailbox_id). One index
     * range of mailbox_analytics' key a row.
     */
    static String window(String alias) {
        return " CROSS JOIN LATERAL (SELECT coalesce(sum(p.sent), 0) AS w_sent, coalesce(sum(p.delivered), 0) AS w_delivered,"
                + " coalesce(sum(p.bounced), 0) AS w_bounced, coalesce(sum(p.bounces_hard), 0) AS w_hard,"
                + " coalesce(sum(p.bounces_soft), 0) AS w_soft, coalesce(sum(p.spam_complaints), 0) AS w_complaints"
                + " FROM mailbox_analytics p WHERE p.tenant_id = " + alias + ".tenant_id AND p.mailbox_id = " + alias + ".mailbox_id"
                + " AND p.date >= {date}::date - " + (WINDOW_DAYS - 1) + " AND p.date < {date}::date) w";
    }

    /** The score as an SQL expression over the day's columns of those names and {@link #window}'s. */
    static final String SQL = """
            greatest(0, least(100, round(100
              - least(40, 400 * ((bounces_hard + w_hard) + 0.5 * (bounces_soft + w_soft))
                  / greatest(sent + w_sent, delivered + bounced + w_delivered + w_bounced, 1))
              - least(40, 4000.0 * (spam_complaints + w_complaints)
                  / greatest(sent + w_sent, delivered + bounced + w_delivered + w_bounced, 1))
              - CASE WHEN warmup_opens = 0 THEN 0
                     ELSE 20 * (1 - least(1, warmup_replies::numeric / warmup_opens / 0.3)) END)))::int""";
}
