package io.trackedge.jobs.rollup;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/**
 * The per-day email tables: {@code campaign_analytics}, {@code mailbox_analytics},
 * {@code lead_analytics} and {@code sequence_step_analytics}, each recomputed for a UTC day by
 * deleting the day's rows and inserting them again from one set-based query over the day's raw
 * events ({@link EmailMetrics} defines the shared columns). Events without the table's key (no
 * step) are left out of that table; an event without a lead counts for its email's lead ({@link #leads}).
 *
 * <p>Why delete and insert rather than upsert: a recount can also lose rows (an event
 * reclassified, a key that no longer appears), and delete-then-insert under the day's lock
 * ({@link PeriodLock}) leaves exactly the recount, whatever was there before. Readers see the old
 * rows until the commit and the new ones after, never a mix.
 */
final class EmailMetricsRollUp extends DailyRollUp {

    /** The job type of {@link #mailboxes}. */
    static final String MAILBOX_JOB_TYPE = "mailbox_analytics";

    private final String jobType;
    private final Function<UUID, String> insert;
    private final DayReplace replace;

    private EmailMetricsRollUp(String jobType, String table, Function<UUID, String> insert) {
        this(jobType, insert, (c, day, tenantOrNull, p, recount) -> {
            Sql.update(c, "DELETE FROM " + table + " WHERE date = {date}" + Sql.tenantFilter("tenant_id", tenantOrNull), p);
            recount.run();
        });
    }

    private EmailMetricsRollUp(String jobType, Function<UUID, String> insert, DayReplace replace) {
        this.jobType = jobType;
        this.insert = insert;
        this.replace = replace;
    }

    /** Deletes a day's rows (of one tenant, or all) and runs {@code recount}, the insert of their recount. */
    @FunctionalInterface
    private interface DayReplace {
        void replace(Connection c, LocalDate day, UUID tenantOrNull, Map<String, Object> p, HealthScore.Insert recount)
                throws SQLException;
    }

    /**
     * {@code campaign_analytics} per (tenant, campaign, day). {@code completed_leads}: leads of the
     * campaign whose sequence ended that day (a reply, an unsubscribe, a complaint or a hard
     * bounce). An email's lead is the least its events of the day name, else, for an email that
     * ended a sequence, the least its earlier events name: mail servers often report a reply or a
     * bounce without the lead its send carried days before. {@code status} is the platform's and
     * left null.
     */
    static EmailMetricsRollUp campaigns() {
        return new EmailMetricsRollUp("campaign_analytics", "campaign_analytics", tenant -> "WITH "
                + EmailMetrics.perEmail("campaign_id", tenant, "lead_id")
                + " INSERT INTO campaign_analytics (tenant_id, campaign_id, date, " + EmailMetrics.COLUMNS + ", completed_leads)"
                + " SELECT tenant_id, campaign_id, {date}::date, " + EmailMetrics.SELECTED + ","
                + " count(DISTINCT coalesce(lead_id, " + EARLIER_LEAD + ")) FILTER (WHERE replied > 0 OR unsubscribed > 0"
                + " OR complained > 0 OR hard > 0) FROM per_email GROUP BY tenant_id, campaign_id");
    }

    /**
     * For an email of {@code per_email}, the least lead its events of the {@value #LEAD_LOOKBACK_DAYS}
     * days up to the day's end name. Evaluated only where {@code coalesce} needs it, for an email that
     * ended a sequence (the aggregate's filter comes first) with no lead named that day: one probe of
     * {@code email_events_email} per daily partition of the window for each such email. The window
     * bounds that work on a database that keeps years of events; a reply to a send older than it
     * counts no lead.
     */
    private static final String EARLIER_LEAD = "(SELECT min(e.lead_id) FROM email_event_rows e"
            + " WHERE e.tenant_id = per_email.tenant_id AND e.email_id = per_email.email_id AND e.occurred_at < {end}"
            // days of UTC, whatever the session's time zone (which moves an interval's day by an hour across DST)
            + " AND e.occurred_at >= ({start}::timestamptz AT TIME ZONE 'UTC' - interval '" + EmailMetricsRollUp.LEAD_LOOKBACK_DAYS
            + " days') AT TIME ZONE 'UTC')";

    /**
     * For an email of {@code per_email}, the least step its events in the same campaign of the
     * {@value #LEAD_LOOKBACK_DAYS} days up to the day's end name (steps are the sender's context,
     * {@code event_contexts}); evaluated as {@link #EARLIER_LEAD} is, only for an email whose unnamed
     * row holds an outcome and whose day names no step.
     */
    private static final String EARLIER_STEP = "(SELECT min(x.step_id) FROM email_event_rows e JOIN event_contexts x"
            + " ON x.tenant_id = e.tenant_id AND x.context_id = e.context_id"
            + " WHERE e.tenant_id = per_email.tenant_id AND e.email_id = per_email.email_id AND x.campaign_id = per_email.campaign_id"
            + " AND e.occurred_at < {end}"
            + " AND e.occurred_at >= ({start}::timestamptz AT TIME ZONE 'UTC' - interval '" + EmailMetricsRollUp.LEAD_LOOKBACK_DAYS
            + " days') AT TIME ZONE 'UTC')";

    /** How far back an email's lead (or step) is looked for when the day's events name none ({@link #EARLIER_LEAD}). */
    static final int LEAD_LOOKBACK_DAYS = 90;

    /**
     * {@code lead_analytics} per (tenant, campaign, lead, day). {@code status} is the furthest the
     * lead got that day: complained, unsubscribed, bounced (hard), replied, clicked, opened,
     * delivered, sent, soft_bounced, else active. Clicked and opened are the person's: a scanner's
     * click or a prefetched pixel alone got the lead nowhere.
     *
     * <p>An event that names a lead counts for it. One that names none counts for its email's lead: the
     * least the email's events of the day (in its campaign) name, else, when the email's lead-less
     * events of the day hold a reply, an unsubscribe, a complaint or a bounce, the least its events of
     * the {@value #LEAD_LOOKBACK_DAYS} days before name ({@link #EARLIER_LEAD}): a mail server reports
     * those without the lead the send carried. Other lead-less events of an email whose day names no
     * lead count for none.
     */
    static EmailMetricsRollUp leads() {
        return new EmailMetricsRollUp("lead_analytics", "lead_analytics", tenant -> "WITH "
                + EmailMetrics.perEmail("campaign_id, lead_id", tenant, Set.of("lead_id"))
                + byEmailOf("lead_id", EARLIER_LEAD)
                + ", agg AS (SELECT tenant_id, campaign_id, lead_id, " + EmailMetrics.SELECTED
                + " FROM attributed_email GROUP BY tenant_id, campaign_id, lead_id)"
                + " INSERT INTO lead_analytics (tenant_id, campaign_id, lead_id, date, " + EmailMetrics.COLUMNS + ", status)"
                + " SELECT tenant_id, campaign_id, lead_id, {date}::date, " + EmailMetrics.COLUMNS + ", CASE"
                + " WHEN spam_complaints > 0 THEN 'complained' WHEN unsubscribed > 0 THEN 'unsubscribed'"
                + " WHEN bounces_hard > 0 THEN 'bounced' WHEN replied > 0 THEN 'replied' WHEN clicked_human > 0 THEN 'clicked'"
                + " WHEN opened_human > 0 THEN 'opened' WHEN delivered > 0 THEN 'delivered' WHEN sent > 0 THEN 'sent'"
                + " WHEN bounced > 0 THEN 'soft_bounced' ELSE 'active' END FROM agg");
    }

    /**
     * {@code sequence_step_analytics} per (tenant, campaign, step, day). An event that names a step
     * counts for it; one that names none (a mail server reports deliveries, bounces and replies without
     * the step the send carried) counts for its email's step, found as {@link #leads()} finds a lead:
     * the least the email's events of the day in the campaign name, else, for a reply, unsubscribe,
     * complaint or bounce, the least its events in the campaign of the {@value #LEAD_LOOKBACK_DAYS}
     * days before name ({@link #EARLIER_STEP}).
     */
    static EmailMetricsRollUp sequenceSteps() {
        return new EmailMetricsRollUp("sequence_step_analytics", "sequence_step_analytics", tenant -> "WITH "
                + EmailMetrics.perEmail("campaign_id, step_id", tenant, Set.of("step_id"))
                + byEmailOf("step_id", EARLIER_STEP)
                + " INSERT INTO sequence_step_analytics (tenant_id, campaign_id, step_id, date, " + EmailMetrics.COLUMNS + ")"
                + " SELECT tenant_id, campaign_id, step_id, {date}::date, " + EmailMetrics.SELECTED
                + " FROM attributed_email GROUP BY tenant_id, campaign_id, step_id");
    }

    /**
     * {@code attributed_email}: {@code per_email} (grouped by campaign and a nullable {@code column})
     * with each row of a null {@code column} given its email's: the least the email's rows of the day
     * in the campaign name, else, when the row holds a reply, unsubscribe, complaint or bounce,
     * {@code earlier}; rows that find none are left out. One row per (tenant, campaign, column, email),
     * so an email whose unnamed row joined a named one counts once.
     */
    private static String byEmailOf(String column, String earlier) {
        return ", attributed AS (SELECT per_email.*, coalesce(" + column + ", min(" + column + ") OVER (PARTITION BY tenant_id,"
                + " campaign_id, email_id), CASE WHEN replied > 0 OR unsubscribed > 0 OR complained > 0 OR bounced > 0 THEN "
                + earlier + " END) AS email_value FROM per_email)"
                + ", attributed_email AS (SELECT tenant_id, campaign_id, email_value AS " + column + ", email_id, sum(sent) AS sent,"
                + " sum(delivered) AS delivered, sum(bounced) AS bounced, sum(hard) AS hard, sum(replied) AS replied,"
                + " sum(unsubscribed) AS unsubscribed, sum(complained) AS complained, sum(opens) AS opens, sum(opens_h) AS opens_h,"
                + " sum(clicks) AS clicks, sum(clicks_h) AS clicks_h FROM attributed WHERE email_value IS NOT NULL"
                + " GROUP BY tenant_id, campaign_id, email_value, email_id)";
    }

    /**
     * {@code mailbox_analytics} per (tenant, mailbox, day), for every mailbox with campaign or
     * warm-up events that day: the warm-up opens and replies it received, {@code health_score}
     * ({@link HealthScore}), {@code warmup_status} 'warming' on a day with warm-up events (else
     * null) and {@code current_volume}, the emails it sent that day. A recount that moves a closed
     * day's bounces, complaints or sends marks the closed days whose scores' week holds it
     * ({@link HealthScore#replaceDayMarkingWeekAfter}).
     */
    static EmailMetricsRollUp mailboxes() {
        return new EmailMetricsRollUp(MAILBOX_JOB_TYPE, tenant -> "WITH "
                + EmailMetrics.perEmail("mailbox_id", tenant) + ", " + mailboxDay()
                + " INSERT INTO mailbox_analytics (tenant_id, mailbox_id, date, " + EmailMetrics.COLUMNS
                + ", warmup_opens, warmup_replies, health_score, warmup_status, current_volume)"
                + " SELECT m.tenant_id, m.mailbox_id, {date}::date, " + EmailMetrics.COLUMNS + ", warmup_opens, warmup_replies, "
                + HealthScore.SQL + ", CASE WHEN warmup_opens + warmup_replies > 0 THEN 'warming' END, least(sent, 2147483647)"
                + " FROM mailbox_day m" + HealthScore.window("m"),
                (c, day, tenantOrNull, p, recount) -> HealthScore.replaceDayMarkingWeekAfter(c, day, tenantOrNull, p,
                        HealthScore.todayUtc(), recount));
    }

    /** {@code mailbox_day}: the day's counts per (tenant, mailbox), over {@code per_email} grouped by mailbox_id. */
    static String mailboxDay() {
        return "mailbox_day AS (SELECT tenant_id, mailbox_id, " + EmailMetrics.SELECTED
                + ", sum(warmup_opens) AS warmup_opens, sum(warmup_replies) AS warmup_replies"
                + " FROM per_email GROUP BY tenant_id, mailbox_id)";
    }

    @Override
    public String jobType() {
        return jobType;
    }

    /** Its rows are recounted from the day's events alone: the tenants with events are every tenant it writes. */
    @Override
    public boolean splitsByTenant() {
        return true;
    }

    @Override
    void recomputeDay(Connection c, LocalDate day, UUID tenantOrNull, Map<String, Object> p) throws SQLException {
        replace.replace(c, day, tenantOrNull, p, () -> Sql.update(c, insert.apply(tenantOrNull), p));
    }
}
