package io.trackedge.jobs.rollup;

import io.trackedge.jobs.Granularity;
import io.trackedge.jobs.Period;
import io.trackedge.jobs.RollUp;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code billing_analytics}: one row per tenant and UTC calendar month, the billing period. A job
 * of any granularity recomputes every month its period touches, so a daily job keeps the current
 * month to date and the monthly job closes the month.
 *
 * <p>What is billable: <b>{@code emails_sent}</b>, the {@code sent} events the tenant reported in
 * the month, is the billed unit. Beside it, as plan limits and meters (not billed by themselves):
 * {@code events_recorded} (every raw event stored: sends, deliveries, opens, clicks, bounces,
 * replies, unsubscribes, complaints, warm-up), {@code mailboxes_used}, {@code campaigns_used},
 * {@code leads_used} (distinct ids that sent mail in the month), {@code domains_used} (distinct
 * domains of those mailboxes, the text after the last {@code @} of a mailbox id that is an
 * address, lower-cased; opaque ids name no domain), {@code warmups_active} (distinct mailboxes that
 * received warm-up interactions), and tracked opens and clicks, human and machine apart.
 * {@code subscription_id} belongs to the platform's billing system and is left null.
 *
 * <p>Counted like the daily tables ({@link EmailMetrics#perEmail}): per sender context from
 * {@code email_event_rows} first, then joined to {@code event_contexts} for the distinct mailboxes,
 * domains and campaigns, so a month's events are not each joined; leads, a row column, are counted
 * apart over the month's sends.
 *
 * <p>The month is recomputed from raw events, deleted and inserted under the month's lock, like the
 * daily tables; it must run before retention drops the month's first days, or it leaves the row as
 * it was (a month with no raw events left is not recomputed).
 */
final class BillingRollUp implements RollUp {

    private static final Logger log = LoggerFactory.getLogger(BillingRollUp.class);

    @Override
    public String jobType() {
        return "billing_analytics";
    }

    @Override
    public void run(Connection c, Period period, UUID tenantOrNull) throws SQLException {
        PeriodLock.requireTransaction(c);
        for (Period month : months(period)) {
            PeriodLock.lock(c, jobType() + ":" + month.startDate(), tenantOrNull);
            Map<String, Object> p = new HashMap<>();
            p.put("start", OffsetDateTime.ofInstant(month.start(), ZoneOffset.UTC));
            p.put("end", OffsetDateTime.ofInstant(month.end(), ZoneOffset.UTC));
            if (tenantOrNull != null) {
                p.put("tenant", tenantOrNull);
            }
            String tenant = Sql.tenantFilter("tenant_id", tenantOrNull);
            if (!Sql.exists(c, "SELECT 1 FROM email_events WHERE occurred_at >= {start} AND occurred_at < {end}" + tenant, p)) {
                log.debug("billing {}: no raw events (none yet, or dropped by retention); rows left as they are", month);
                continue;
            }
            Sql.update(c, "DELETE FROM billing_analytics WHERE period_start = {start}" + tenant, p);
            Sql.update(c, """
                    WITH per_context AS (
                      SELECT tenant_id, context_id,
                        count(*) FILTER (WHERE event_type = 'sent') AS sent,
                        count(*) FILTER (WHERE event_type IN ('warmup_open', 'warmup_reply')) AS warm,
                        count(*) AS events,
                        count(*) FILTER (WHERE event_type = 'open' AND NOT is_machine) AS opens_h,
                        count(*) FILTER (WHERE event_type = 'open' AND is_machine) AS opens_m,
                        count(*) FILTER (WHERE event_type = 'click' AND NOT is_machine) AS clicks_h,
                        count(*) FILTER (WHERE event_type = 'click' AND is_machine) AS clicks_m
                      FROM email_event_rows
                      WHERE occurred_at >= {start} AND occurred_at < {end}%1$s
                      GROUP BY tenant_id, context_id
                    ), leads AS (
                      SELECT tenant_id, count(DISTINCT lead_id) AS leads
                      FROM email_event_rows
                      WHERE occurred_at >= {start} AND occurred_at < {end} AND event_type = 'sent'%1$s
                      GROUP BY tenant_id
                    )
                    INSERT INTO billing_analytics (tenant_id, period_start, period_end, emails_sent, mailboxes_used, domains_used,
                        campaigns_used, leads_used, warmups_active, events_recorded, opens_human, opens_machine, clicks_human,
                        clicks_machine)
                    SELECT r.tenant_id, {start}::timestamptz, {end}::timestamptz, sum(r.sent),
                      count(DISTINCT c.mailbox_id) FILTER (WHERE r.sent > 0),
                      count(DISTINCT lower(substring(c.mailbox_id FROM '@([^@]+)$'))) FILTER (WHERE r.sent > 0),
                      count(DISTINCT c.campaign_id) FILTER (WHERE r.sent > 0),
                      coalesce(min(l.leads), 0),
                      count(DISTINCT c.mailbox_id) FILTER (WHERE r.warm > 0),
                      sum(r.events), sum(r.opens_h), sum(r.opens_m), sum(r.clicks_h), sum(r.clicks_m)
                    FROM per_context r
                    JOIN event_contexts c ON c.tenant_id = r.tenant_id AND c.context_id = r.context_id
                    LEFT JOIN leads l ON l.tenant_id = r.tenant_id
                    GROUP BY r.tenant_id""".formatted(tenant), p);
        }
    }

    /** The calendar months {@code period} overlaps, in order. */
    static List<Period> months(Period period) {
        List<Period> out = new ArrayList<>();
        for (Instant t = Granularity.MONTH.floor(period.start()); t.isBefore(period.end()); t = Granularity.MONTH.next(t)) {
            out.add(Period.of(Granularity.MONTH, t));
        }
        return out;
    }
}
