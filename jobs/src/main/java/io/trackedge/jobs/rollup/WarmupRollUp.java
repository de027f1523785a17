package io.trackedge.jobs.rollup;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.Map;
import java.util.UUID;

/**
 * {@code warmup_analytics} per (tenant, mailbox, UTC day), for every mailbox that received warm-up
 * opens or replies that day: those counts, the mailbox's campaign mail of the day
 * ({@link EmailMetrics}'s columns, as in {@code mailbox_analytics}), its {@link HealthScore}, and
 * {@code progress_percentage}, how far it is through a {@value #WARMUP_DAYS}-day warm-up:
 *
 * <pre>
 *   progress = min(100, floor(100 * (day - first warm-up day + 1) / 30))
 * </pre>
 *
 * where the first warm-up day is the UTC date of the mailbox's earliest row in
 * {@code warmup_interactions} (kept past raw-event retention, so progress survives it). The day's
 * score is also written to {@code warmup_daily_stats.reputation_score}, which the sink leaves at 0.
 * Recomputed like the other daily tables: the day's rows deleted and inserted again, under the
 * day's lock.
 */
final class WarmupRollUp extends DailyRollUp {

    static final int WARMUP_DAYS = 30;

    static final String JOB_TYPE = "warmup_analytics";

    /**
     * The day's scores into {@code warmup_daily_stats}, whose rows the sinks' batches upsert: the rows
     * are locked first, in the order a batch takes them (tenant, mailbox), so the job and a batch
     * that both hold one of a day's mailboxes wait on each other rather than deadlock (an UPDATE ...
     * FROM locks in its join's order). A locking SELECT sorts before it locks.
     */
    private static final String REPUTATION = "WITH due AS MATERIALIZED (SELECT s.tenant_id, s.mailbox_id, a.health_score"
            + " FROM warmup_daily_stats s JOIN warmup_analytics a USING (tenant_id, mailbox_id, date)"
            + " WHERE a.date = {date} AND s.reputation_score <> a.health_score{tenant_filter}"
            + " ORDER BY s.tenant_id, s.mailbox_id FOR UPDATE OF s)"
            + " UPDATE warmup_daily_stats s SET reputation_score = due.health_score, updated_at = now() FROM due"
            + " WHERE s.date = {date} AND s.tenant_id = due.tenant_id AND s.mailbox_id = due.mailbox_id";

    @Override
    public String jobType() {
        return JOB_TYPE;
    }

    @Override
    void recomputeDay(Connection c, LocalDate day, UUID tenantOrNull, Map<String, Object> p) throws SQLException {
        String tenant = Sql.tenantFilter("tenant_id", tenantOrNull);
        Sql.update(c, "DELETE FROM warmup_analytics WHERE date = {date}" + tenant, p);
        Sql.update(c, "WITH " + EmailMetrics.perEmail("mailbox_id", tenantOrNull) + ", " + EmailMetricsRollUp.mailboxDay()
                + " INSERT INTO warmup_analytics (tenant_id, mailbox_id, date, " + EmailMetrics.COLUMNS
                + ", warmup_opens, warmup_replies, health_score, progress_percentage)"
                + " SELECT m.tenant_id, m.mailbox_id, {date}::date, " + EmailMetrics.COLUMNS + ", warmup_opens, warmup_replies, "
                + HealthScore.SQL + ", least(100, 100 * ({date}::date - coalesce((f.first AT TIME ZONE 'UTC')::date, {date}::date) + 1) / "
                + WARMUP_DAYS + ")"
                + " FROM mailbox_day m LEFT JOIN LATERAL (SELECT min(interaction_at) AS first FROM warmup_interactions i"
                + " WHERE i.tenant_id = m.tenant_id AND i.mailbox_id = m.mailbox_id) f ON true" + HealthScore.window("m")
                + " WHERE warmup_opens + warmup_replies > 0", p);
        Sql.update(c, REPUTATION.replace("{tenant_filter}", Sql.tenantFilter("a.tenant_id", tenantOrNull)), p);
    }
}
