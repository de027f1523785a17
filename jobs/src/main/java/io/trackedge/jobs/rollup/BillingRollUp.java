package io.trackedge.jobs.rollup;

import io.trackedge.jobs.Granularity;
import io.trackedge.jobs.Period;
import io.trackedge.jobs.RollUp;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code billing_analytics}: one row per tenant and UTC calendar month, the billing period. A job
 * of any granularity recounts the days its period touches and then each month they fall in, so a
 * daily job keeps the current month to date (through the latest day counted in {@code billing_days}:
 * for the daily schedule, the day that just closed) and the monthly job closes the month.
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
 * <p>Counted in two steps (sql/V29). Each day of the period that still has raw events is recounted
 * into {@code billing_days}, per sender context, from {@code email_event_rows}. The month is then
 * summed from its days' rows, joined to {@code event_contexts} for the distinct mailboxes, domains and
 * campaigns; only {@code leads_used}, a row column whose distinct count does not add up from days, is
 * read from the month's raw sends, up to the end of each tenant's latest counted day. An earlier day
 * not counted is counted first: for every tenant, one without the mark an all-tenant count leaves
 * in {@code billing_counted_days} (V30); for one tenant, one without that mark or the tenant's rows.
 * So a day's job recounts its own day and scans the
 * month's rows only for sends, where it used to recount every event of the month so far.
 *
 * <p>Both steps delete and insert under the month's lock, like the daily tables. A day with no raw
 * events left (dropped by retention) keeps its {@code billing_days} rows, and {@code leads_used} then
 * counts the days still held; a month with none left is not summed again, and its row stays as it was.
 */
final class BillingRollUp implements RollUp, DayUnits {

    private static final Logger log = LoggerFactory.getLogger(BillingRollUp.class);

    /** One day's counts per sender context, into billing_days; binds {start}, {end}, {date} (and {tenant}). */
    private static final String DAY = """
            INSERT INTO billing_days (tenant_id, day, context_id, sent, warm, events, opens_human, opens_machine,
                clicks_human, clicks_machine)
            SELECT tenant_id, {date}::date, context_id,
              count(*) FILTER (WHERE event_type = 'sent'),
              count(*) FILTER (WHERE event_type IN ('warmup_open', 'warmup_reply')),
              count(*),
              count(*) FILTER (WHERE event_type = 'open' AND NOT is_machine),
              count(*) FILTER (WHERE event_type = 'open' AND is_machine),
              count(*) FILTER (WHERE event_type = 'click' AND NOT is_machine),
              count(*) FILTER (WHERE event_type = 'click' AND is_machine)
            FROM email_event_rows
            WHERE occurred_at >= {start} AND occurred_at < {end}%s
            GROUP BY tenant_id, context_id""";

    /**
     * The month's row from its days' rows, and from its raw sends up to the end of each tenant's latest
     * day there; binds {start}, {end}, {upto} (the latest of those ends), {first}, {next} (and {tenant}).
     */
    private static final String MONTH = """
            WITH per_context AS (
              SELECT tenant_id, context_id, sum(sent) AS sent, sum(warm) AS warm, sum(events) AS events,
                sum(opens_human) AS opens_h, sum(opens_machine) AS opens_m, sum(clicks_human) AS clicks_h,
                sum(clicks_machine) AS clicks_m
              FROM billing_days
              WHERE day >= {first} AND day < {next}%1$s
              GROUP BY tenant_id, context_id
            ), days_to AS (
              -- each tenant's latest day, from the days' rows: not from per_context, which PostgreSQL
              -- would then keep apart to read twice
              SELECT tenant_id, (max(day) + 1)::timestamp AT TIME ZONE 'UTC' AS upto
              FROM billing_days
              WHERE day >= {first} AND day < {next}%1$s
              GROUP BY tenant_id
            ), leads AS (
              SELECT e.tenant_id, count(DISTINCT e.lead_id) AS leads
              FROM email_event_rows e JOIN days_to d ON d.tenant_id = e.tenant_id AND e.occurred_at < d.upto
              WHERE e.occurred_at >= {start} AND e.occurred_at < {upto} AND e.event_type = 'sent'%2$s
              GROUP BY e.tenant_id
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
            GROUP BY r.tenant_id""";

    @Override
    public String jobType() {
        return "billing_analytics";
    }

    /** A month's unit: its days are recounted under the month's lock. */
    @Override
    public String unit(LocalDate day) {
        return jobType() + ":" + day.withDayOfMonth(1);
    }

    @Override
    public void run(Connection c, Period period, UUID tenantOrNull) throws SQLException {
        PeriodLock.requireTransaction(c);
        String tenant = Sql.tenantFilter("tenant_id", tenantOrNull);
        for (Period month : months(period)) {
            PeriodLock.lock(c, unit(month.startDate()), tenantOrNull);
            LocalDate first = month.startDate();
            LocalDate next = first.plusMonths(1);
            // the days of the period in this month
            LocalDate from = max(period.startDate(), first);
            LocalDate last = min(period.lastDate(), next.minusDays(1));
            for (LocalDate day = from; !day.isAfter(last); day = day.plusDays(1)) {
                recountDay(c, day, tenantOrNull, tenant);
            }
            Map<String, Object> p = params(tenantOrNull);
            p.put("first", first);
            p.put("next", next);
            LocalDate latest = Sql.one(c, "SELECT max(day) FROM billing_days WHERE day >= {first} AND day < {next}" + tenant, p,
                    r -> r.getObject(1, LocalDate.class));
            // An earlier day not counted (its job failed for good, or a version before V29 ran it after
            // the migration) is counted here, so the month sums the days leads_used reads. For every
            // tenant, a day is counted once marked (V30): one tenant's rows do not make it so.
            for (LocalDate day = first; latest != null && day.isBefore(latest); day = day.plusDays(1)) {
                p.put("date", day);
                // Two reads, not one: with Citus the marks stay on the coordinator and billing_days is distributed.
                if ((day.isBefore(from) || day.isAfter(last))
                        && !Sql.exists(c, "SELECT 1 FROM billing_counted_days WHERE day = {date}", p)
                        && (tenantOrNull == null || !Sql.exists(c, "SELECT 1 FROM billing_days WHERE day = {date}" + tenant, p))) {
                    recountDay(c, day, tenantOrNull, tenant);
                }
            }
            p.put("start", DailyRollUp.utc(first));
            p.put("end", DailyRollUp.utc(next));
            p.put("upto", DailyRollUp.utc(latest == null ? first : latest.plusDays(1)));
            if (latest == null || !Sql.exists(c, "SELECT 1 FROM email_events WHERE occurred_at >= {start} AND occurred_at < {upto}"
                    + tenant, p)) {
                log.debug("billing {}: no raw events (none yet, or dropped by retention); row left as it is", first);
                continue;
            }
            Sql.update(c, "DELETE FROM billing_analytics WHERE period_start = {start}" + tenant, p);
            Sql.update(c, MONTH.formatted(tenant, Sql.tenantFilter("e.tenant_id", tenantOrNull)), p);
        }
    }

    /** Replaces the day's billing_days rows with a recount, unless the day has no raw events left. */
    private static void recountDay(Connection c, LocalDate day, UUID tenantOrNull, String tenant) throws SQLException {
        Map<String, Object> p = params(tenantOrNull);
        p.put("date", day);
        p.put("start", DailyRollUp.utc(day));
        p.put("end", DailyRollUp.utc(day.plusDays(1)));
        if (!Sql.exists(c, "SELECT 1 FROM email_events WHERE occurred_at >= {start} AND occurred_at < {end}" + tenant, p)) {
            return; // none yet, or dropped by retention: its rows are what remains of it
        }
        Sql.update(c, "DELETE FROM billing_days WHERE day = {date}" + tenant, p);
        Sql.update(c, DAY.formatted(tenant), p);
        if (tenantOrNull == null) {
            Sql.update(c, "INSERT INTO billing_counted_days (day) VALUES ({date}) ON CONFLICT (day) DO UPDATE SET counted_at = now()", p);
        }
    }

    private static Map<String, Object> params(UUID tenantOrNull) {
        Map<String, Object> p = new HashMap<>();
        if (tenantOrNull != null) {
            p.put("tenant", tenantOrNull);
        }
        return p;
    }

    private static LocalDate max(LocalDate a, LocalDate b) {
        return a.isAfter(b) ? a : b;
    }

    private static LocalDate min(LocalDate a, LocalDate b) {
        return a.isBefore(b) ? a : b;
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
