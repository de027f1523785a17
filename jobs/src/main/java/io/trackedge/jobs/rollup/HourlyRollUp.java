package io.trackedge.jobs.rollup;

import io.trackedge.jobs.Granularity;
import io.trackedge.jobs.Period;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * The hourly tables the stats API reads ({@code GET /v1/stats}): {@code stats_hourly},
 * {@code link_clicks_hourly} and {@code automation_hourly} (sql/V12). A day's (or week's) job
 * recomputes each UTC day like the daily tables (delete the day's hours, insert the recount, under
 * the day's lock); an hour's job recomputes only its hour, under the same lock, so a re-run leaves
 * the same rows and a day's events are counted about twice (by their hour's job and by the day's),
 * not again by every later hour's job of the day (sql/V28). What lands in an hour after its job ran
 * is marked by the sink ({@code analytics_late_hours}) and runs that hour's job and the later hours'
 * jobs of its day again ({@code LateEventReruns}).
 *
 * <p>Why hours: buckets of any granularity in any whole-hour time zone are sums of hours, so one
 * table answers hour, day, week and month in the caller's zone. Why "first ever" for unique
 * counts: distinct emails per hour do not add up to distinct emails per day, but "emails whose
 * first open ever happened in this bucket" does, over any range. The first is by
 * {@code (occurred_at, event_id)}; events before the recounted span (an earlier day, or an earlier
 * hour of the same day) are looked up through the {@code (tenant_id, email_id)} index, one probe per
 * candidate first: each such {@code NOT EXISTS} ends in {@code OFFSET 0}, which keeps PostgreSQL from
 * turning it into a hashed subplan that reads every open and click before the span (for an hour of a
 * day's end, most of the day; for a day, every retained day before it) to answer a few thousand probes.
 */
final class HourlyRollUp extends DailyRollUp {

    private final String jobType;
    private final String table;
    private final Function<UUID, String> insert;
    /** A coarser table summed from {@link #table}'s new rows in the same transaction, or null. */
    private final String summaryTable;
    private final Function<UUID, String> summaryInsert;

    private HourlyRollUp(String jobType, String table, Function<UUID, String> insert) {
        this(jobType, table, insert, null, null);
    }

    private HourlyRollUp(String jobType, String table, Function<UUID, String> insert, String summaryTable,
                         Function<UUID, String> summaryInsert) {
        this.jobType = jobType;
        this.table = table;
        this.insert = insert;
        this.summaryTable = summaryTable;
        this.summaryInsert = summaryInsert;
    }

    /**
     * {@code stats_hourly} per (tenant, UTC hour, campaign, mailbox, step): sent, delivered, bounces
     * (hard; soft is every bounce not hard), replies, unsubscribes, complaints, opens and clicks
     * human and machine, and the first opens and clicks ever (any kind, first human, first machine).
     * An event that names no step counts for its email's, found as {@code sequence_step_analytics} finds
     * it but by the event's hour rather than its day: the least step the email's events of the same hour
     * in the campaign name, else, for a reply, unsubscribe, complaint or bounce, the least its events in
     * the campaign of the 90 days up to the hour's end name ({@link #EARLIER_STEP}); one that finds none
     * stays under no step, so the campaign's counts are the same either way. Each by its own hour: a
     * day's run counts what the hours' runs counted.
     * The first human open is the email's first human open <em>or click</em>, as in {@code
     * email_human_opens} and {@code daily_analytics}: a person's click means the email was read, even
     * when its images were blocked. Warm-up events are left out (they have their own tables).
     * <p>
     * "Ever" asks the raw events before the hour and, once retention has dropped a day (V31's
     * {@code email_events_dropped_through}, read once a run: {@code no_drops}), the first-touch tables too ({@code email_opens},
     * {@code email_clicks}, {@code email_human_opens}), which retention does not drop: a recount after
     * the email's earlier days were dropped (a late event, a re-score, a retry) counted its first again
     * from the raw events alone. The first of a kind is caught so only where the email's first touch was
     * of that kind, and a link's first click ({@link #links}) not at all: no table keeps them. Without a
     * drop the lookups are skipped: they cost the hourly jobs 30 % more PostgreSQL CPU
     * ({@code BENCH_JOBS=stats_hourly JobScheduleCost 300000}: 10.5 and 10.9 against 13.9 µs an event).
     */
    static HourlyRollUp stats() {
        return new HourlyRollUp("stats_hourly", "stats_hourly", tenant -> """
                WITH ev AS (
                  SELECT e.tenant_id, date_trunc('hour', e.occurred_at, 'UTC') AS hour, e.campaign_id, e.mailbox_id,
                    coalesce(e.step_id, CASE WHEN e.email_id IS NOT NULL
                      THEN min(e.step_id) OVER (PARTITION BY e.tenant_id, e.email_id, date_trunc('hour', e.occurred_at, 'UTC'), e.campaign_id)
                      END) AS hour_step,
                    e.email_id, e.event_type, e.is_machine, e.attributes->>'bounce_type' AS bounce_type,
                    row_number() OVER (PARTITION BY e.tenant_id, e.email_id, e.event_type
                                       ORDER BY e.occurred_at, e.event_id) AS rn_any,
                    row_number() OVER (PARTITION BY e.tenant_id, e.email_id, e.event_type, e.is_machine
                                       ORDER BY e.occurred_at, e.event_id) AS rn_kind,
                    row_number() OVER (PARTITION BY e.tenant_id, e.email_id,
                                         e.event_type IN ('open', 'click') AND NOT e.is_machine
                                       ORDER BY e.occurred_at, e.event_id) AS rn_read
                  FROM email_events e
                  WHERE e.occurred_at >= {start} AND e.occurred_at < {end}
                    AND e.event_type NOT IN ('warmup_open', 'warmup_reply')%1$s
                ), firsts AS (
                  SELECT ev.*,
                    coalesce(ev.hour_step, CASE WHEN ev.event_type IN ('replied', 'unsubscribed', 'complained', 'bounced')
                      AND ev.email_id IS NOT NULL AND ev.campaign_id IS NOT NULL THEN %2$s END) AS step_id,
                    (ev.event_type IN ('open', 'click') AND ev.email_id IS NOT NULL AND ev.rn_any = 1 AND NOT EXISTS (
                       SELECT 1 FROM email_events p WHERE p.tenant_id = ev.tenant_id AND p.email_id = ev.email_id
                         AND p.event_type = ev.event_type AND p.occurred_at < {start} OFFSET 0)
                       AND ({no_drops} OR NOT EXISTS (SELECT 1 FROM email_opens f
                         WHERE ev.event_type = 'open' AND f.tenant_id = ev.tenant_id AND f.email_id = ev.email_id
                         AND f.opened_at < {start}) AND NOT EXISTS (SELECT 1 FROM email_clicks f WHERE ev.event_type = 'click'
                         AND f.tenant_id = ev.tenant_id AND f.email_id = ev.email_id AND f.clicked_at < {start}))) AS first_any,
                    (ev.event_type IN ('open', 'click') AND ev.email_id IS NOT NULL AND ev.rn_kind = 1 AND NOT EXISTS (
                       SELECT 1 FROM email_events p WHERE p.tenant_id = ev.tenant_id AND p.email_id = ev.email_id
                         AND p.event_type = ev.event_type AND p.is_machine = ev.is_machine
                         AND p.occurred_at < {start} OFFSET 0)
                       AND ({no_drops} OR NOT EXISTS (SELECT 1 FROM email_opens f
                         WHERE ev.event_type = 'open' AND f.tenant_id = ev.tenant_id AND f.email_id = ev.email_id
                         AND f.is_machine = ev.is_machine AND f.opened_at < {start}) AND NOT EXISTS (SELECT 1 FROM email_clicks f
                         WHERE ev.event_type = 'click' AND f.tenant_id = ev.tenant_id AND f.email_id = ev.email_id
                         AND f.is_machine = ev.is_machine AND f.clicked_at < {start}))) AS first_kind,
                    (ev.event_type IN ('open', 'click') AND NOT ev.is_machine AND ev.email_id IS NOT NULL AND ev.rn_read = 1
                       AND NOT EXISTS (
                       SELECT 1 FROM email_events p WHERE p.tenant_id = ev.tenant_id AND p.email_id = ev.email_id
                         AND p.event_type IN ('open', 'click') AND NOT p.is_machine
                         AND p.occurred_at < {start} OFFSET 0)
                       AND ({no_drops} OR NOT EXISTS (SELECT 1
                         FROM email_human_opens f WHERE f.tenant_id = ev.tenant_id AND f.email_id = ev.email_id
                         AND f.opened_at < {start}))) AS first_read
                  FROM ev
                )
                INSERT INTO stats_hourly (tenant_id, hour, campaign_id, mailbox_id, step_id, sent, delivered,
                  bounces_hard, bounces_soft, replied, unsubscribed, complaints, opens_human, opens_machine,
                  clicks_human, clicks_machine, opened_first_any, opened_first_human, opened_first_machine,
                  clicked_first_any, clicked_first_human, clicked_first_machine)
                SELECT tenant_id, hour, campaign_id, mailbox_id, step_id,
                  count(*) FILTER (WHERE event_type = 'sent'),
                  count(*) FILTER (WHERE event_type = 'delivered'),
                  count(*) FILTER (WHERE event_type = 'bounced' AND bounce_type = 'hard'),
                  count(*) FILTER (WHERE event_type = 'bounced' AND bounce_type IS DISTINCT FROM 'hard'),
                  count(*) FILTER (WHERE event_type = 'replied'),
                  count(*) FILTER (WHERE event_type = 'unsubscribed'),
                  count(*) FILTER (WHERE event_type = 'complained'),
                  count(*) FILTER (WHERE event_type = 'open' AND NOT is_machine),
                  count(*) FILTER (WHERE event_type = 'open' AND is_machine),
                  count(*) FILTER (WHERE event_type = 'click' AND NOT is_machine),
                  count(*) FILTER (WHERE event_type = 'click' AND is_machine),
                  count(*) FILTER (WHERE event_type = 'open' AND first_any),
                  count(*) FILTER (WHERE first_read),
                  count(*) FILTER (WHERE event_type = 'open' AND first_kind AND is_machine),
                  count(*) FILTER (WHERE event_type = 'click' AND first_any),
                  count(*) FILTER (WHERE event_type = 'click' AND first_kind AND NOT is_machine),
                  count(*) FILTER (WHERE event_type = 'click' AND first_kind AND is_machine)
                FROM firsts GROUP BY tenant_id, hour, campaign_id, mailbox_id, step_id""".formatted(
                Sql.tenantFilter("e.tenant_id", tenant), EARLIER_STEP));
    }

    /**
     * For a step-less outcome of {@code ev} whose hour names no step for its email in the campaign, the
     * least step the email's events in the campaign of the {@value EmailMetricsRollUp#LEAD_LOOKBACK_DAYS}
     * days up to the end of the event's hour name, as {@code sequence_step_analytics} finds it. Bounded by
     * the event's hour, not the run's period, so a day's recount counts each hour as its own run did.
     * Evaluated only for such rows (the {@code CASE} and {@code coalesce} come first): one probe of
     * {@code email_events_email} per daily partition of the window for each.
     */
    private static final String EARLIER_STEP = "(SELECT min(p.step_id) FROM email_events p"
            + " WHERE p.tenant_id = ev.tenant_id AND p.email_id = ev.email_id AND p.campaign_id = ev.campaign_id"
            + " AND p.occurred_at < ev.hour + interval '1 hour'"
            // days of UTC, whatever the session's time zone (which moves an interval's day by an hour across DST)
            + " AND p.occurred_at >= (ev.hour AT TIME ZONE 'UTC' - interval '" + EmailMetricsRollUp.LEAD_LOOKBACK_DAYS
            + " days') AT TIME ZONE 'UTC')";

    /**
     * {@code link_clicks_hourly} per (tenant, UTC hour, campaign, URL): clicks human and machine, and
     * the emails whose first click on that URL ever (any kind, first human, first machine) fell in the hour.
     */
    static HourlyRollUp links() {
        return new HourlyRollUp("link_clicks_hourly", "link_clicks_hourly", tenant -> """
                WITH ev AS (
                  SELECT e.tenant_id, date_trunc('hour', e.occurred_at, 'UTC') AS hour, e.campaign_id, e.url,
                    e.email_id, e.is_machine,
                    row_number() OVER (PARTITION BY e.tenant_id, e.email_id, e.url ORDER BY e.occurred_at, e.event_id) AS rn_any,
                    row_number() OVER (PARTITION BY e.tenant_id, e.email_id, e.url, e.is_machine
                                       ORDER BY e.occurred_at, e.event_id) AS rn_kind
                  FROM email_events e
                  WHERE e.occurred_at >= {start} AND e.occurred_at < {end} AND e.event_type = 'click'
                    AND e.url IS NOT NULL%1$s
                ), firsts AS (
                  SELECT ev.*,
                    (ev.email_id IS NOT NULL AND ev.rn_any = 1 AND NOT EXISTS (
                       SELECT 1 FROM email_events p WHERE p.tenant_id = ev.tenant_id AND p.email_id = ev.email_id
                         AND p.event_type = 'click' AND p.url = ev.url AND p.occurred_at < {start} OFFSET 0)) AS first_any,
                    (ev.email_id IS NOT NULL AND ev.rn_kind = 1 AND NOT EXISTS (
                       SELECT 1 FROM email_events p WHERE p.tenant_id = ev.tenant_id AND p.email_id = ev.email_id
                         AND p.event_type = 'click' AND p.url = ev.url AND p.is_machine = ev.is_machine
                         AND p.occurred_at < {start} OFFSET 0)) AS first_kind
                  FROM ev
                )
                INSERT INTO link_clicks_hourly (tenant_id, hour, campaign_id, url, clicks_human, clicks_machine,
                  clickers_first_any, clickers_first_human, clickers_first_machine)
                SELECT tenant_id, hour, campaign_id, url,
                  count(*) FILTER (WHERE NOT is_machine), count(*) FILTER (WHERE is_machine),
                  count(*) FILTER (WHERE first_any), count(*) FILTER (WHERE first_kind AND NOT is_machine),
                  count(*) FILTER (WHERE first_kind AND is_machine)
                FROM firsts GROUP BY tenant_id, hour, campaign_id, url""".formatted(Sql.tenantFilter("e.tenant_id", tenant)));
    }

    /**
     * {@code automation_hourly} per (tenant, UTC hour, campaign, mailbox, open or click, automation
     * class, reasons bitmask, is_machine): how many events. Rows written before classification have
     * no class: 'unclassified', reasons 0. Then {@code automation_hourly_tenant} (sql/V16), the same
     * counts per tenant and hour alone, for the tenant-wide view.
     */
    static HourlyRollUp automation() {
        return new HourlyRollUp("automation_hourly", "automation_hourly", tenant -> """
                INSERT INTO automation_hourly (tenant_id, hour, campaign_id, mailbox_id, event_type, automation, reasons,
                  is_machine, events)
                SELECT tenant_id, date_trunc('hour', occurred_at, 'UTC'), campaign_id, mailbox_id, event_type,
                  coalesce(automation, 'unclassified'), coalesce(reasons, 0), is_machine, count(*)
                FROM email_events
                WHERE occurred_at >= {start} AND occurred_at < {end} AND event_type IN ('open', 'click')%1$s
                GROUP BY 1, 2, 3, 4, 5, 6, 7, 8""".formatted(Sql.tenantFilter("tenant_id", tenant)),
                "automation_hourly_tenant", tenant -> """
                INSERT INTO automation_hourly_tenant (tenant_id, hour, event_type, automation, reasons, is_machine, events)
                SELECT tenant_id, hour, event_type, automation, reasons, is_machine, sum(events)
                FROM automation_hourly
                WHERE hour >= {start} AND hour < {end}%1$s
                GROUP BY 1, 2, 3, 4, 5, 6""".formatted(Sql.tenantFilter("tenant_id", tenant)));
    }

    @Override
    public String jobType() {
        return jobType;
    }

    @Override
    public boolean rowsPerHour() {
        return true;
    }

    /**
     * Whether retention has dropped a day of raw events (V31's record): then "first ever" asks the
     * first-touch tables too ({@link #stats}). A schema before V31 (a migration test's) has no record.
     */
    private static boolean retentionHasDropped(Connection c) throws SQLException {
        try (java.sql.Statement s = c.createStatement();
             java.sql.ResultSet r = s.executeQuery("SELECT to_regclass('email_events_dropped_through') IS NOT NULL")) {
            r.next();
            if (!r.getBoolean(1)) {
                return false;
            }
        }
        try (java.sql.Statement s = c.createStatement();
             java.sql.ResultSet r = s.executeQuery("SELECT EXISTS (SELECT 1 FROM email_events_dropped_through)")) {
            r.next();
            return r.getBoolean(1);
        }
    }

    /** An hour's period recounts its hour: its rows are the only ones it can change. */
    @Override
    Map<String, Object> span(Period period, Map<String, Object> day) {
        if (period.granularity() != Granularity.HOUR) {
            return day;
        }
        Map<String, Object> hour = new HashMap<>(day);
        hour.put("start", period.start().atOffset(ZoneOffset.UTC));
        hour.put("end", period.end().atOffset(ZoneOffset.UTC));
        return hour;
    }

    @Override
    void recomputeDay(Connection c, LocalDate day, UUID tenantOrNull, Map<String, Object> p) throws SQLException {
        Sql.update(c, "DELETE FROM " + table + " WHERE hour >= {start} AND hour < {end}"
                + Sql.tenantFilter("tenant_id", tenantOrNull), p);
        Map<String, Object> withDrops = new HashMap<>(p);
        withDrops.put("no_drops", !retentionHasDropped(c));
        Sql.update(c, insert.apply(tenantOrNull), withDrops);
        if (summaryTable != null) {
            Sql.update(c, "DELETE FROM " + summaryTable + " WHERE hour >= {start} AND hour < {end}"
                    + Sql.tenantFilter("tenant_id", tenantOrNull), p);
            Sql.update(c, summaryInsert.apply(tenantOrNull), p);
        }
    }
}
