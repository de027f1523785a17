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
                    INSERT INTO billing_analytics (tenant_id, period_start, period_end, emails_sent, mailboxes_used, domains_used,
                        campaigns_used, leads_used, warmups_active, events_recorded, opens_human, opens_machine, clicks_human,
                        clicks_machine)
                    SELECT tenant_id, {start}::timestamptz, {end}::timestamptz,
                      count(*) FILTER (WHERE event_type = 'sent'),
                      count(DISTINCT mailbox_id) FILTER (WHERE event_type = 'sent'),
                      count(DISTINCT lower(substring(mailbox_id FROM '@([^@]+)$'))) FILTER (WHERE event_type = 'sent'),
                      count(DISTINCT campaign_id) FILTER (WHERE event_type = 'sent'),
                      count(DISTINCT lead_id) FILTER (WHERE event_type = 'sent'),
                      count(DISTINCT mailbox_id) FILTER (WHERE event_type IN ('warmup_open', 'warmup_reply')),
                      count(*),
                      count(*) FILTER (WHERE event_type = 'open' AND NOT is_machine),
                      count(*) FILTER (WHERE event_type = 'open' AND is_machine),
                      count(*) FILTER (WHERE event_type = 'click' AND NOT is_machine),
                      count(*) FILTER (WHERE event_type = 'click' AND is_machine)
                    FROM email_events
                    WHERE occurred_at >= {start} AND occurred_at < {end}""" + tenant + " GROUP BY tenant_id", p);
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
