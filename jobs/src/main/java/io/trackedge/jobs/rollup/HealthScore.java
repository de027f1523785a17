package io.trackedge.jobs.rollup;

/**
 * The mailbox health (reputation) score, 0 to 100, of one mailbox on one UTC day, written to
 * {@code mailbox_analytics.health_score}, {@code warmup_analytics.health_score} and
 * {@code warmup_daily_stats.reputation_score}. It starts at 100 and loses points for what hurts a
 * sender's reputation; the absence of a signal costs nothing (a quiet day scores 100):
 *
 * <pre>
 *   outcomes   = max(sent, delivered + bounced, 1)
 *   bounce     = min(40, 400  * (bounces_hard + 0.5 * bounces_soft) / outcomes)   10 % hard bounces: -40
 *   complaint  = min(40, 4000 * spam_complaints / outcomes)                      0.3 % complaints:  -12
 *   warm-up    = 0 when warmup_opens = 0, else
 *                20 * (1 - min(1, (warmup_replies / warmup_opens) / 0.3))        30 % replies per open: 0
 *   health     = clamp(round(100 - bounce - complaint - warm-up), 0, 100)        (round half away from 0)
 * </pre>
 *
 * The inputs are the day's counts of the row itself (sent, delivered and bounces of the mailbox's
 * campaign mail, warm-up opens and replies it received), so the score is recomputed with the row
 * and can be checked from the row alone. The weights follow the usual mailbox-provider limits:
 * hard bounces past a few percent and complaints past 0.3 % (Gmail's bulk-sender limit) are what
 * gets a domain throttled; replies to warm-up mail are the strongest inbox-placement signal.
 */
final class HealthScore {

    private HealthScore() {
    }

    /** The score as an SQL expression over columns of those names. */
    static final String SQL = """
            greatest(0, least(100, round(100
              - least(40, 400 * (bounces_hard + 0.5 * bounces_soft) / greatest(sent, delivered + bounced, 1))
              - least(40, 4000.0 * spam_complaints / greatest(sent, delivered + bounced, 1))
              - CASE WHEN warmup_opens = 0 THEN 0
                     ELSE 20 * (1 - least(1, warmup_replies::numeric / warmup_opens / 0.3)) END)))::int""";
}
