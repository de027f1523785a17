package io.trackedge.jobs.rollup;

import io.trackedge.jobs.Period;
import io.trackedge.jobs.RollUp;
import io.trackedge.privacy.DailyCounts;
import io.trackedge.sink.postgres.HumanOpens;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recounts {@code daily_analytics} for closed UTC days from the raw tables, reports how far the
 * sink's in-batch counters had drifted, and repairs them. Every counter is recounted from
 * {@code email_events} (warm-up events under a null campaign, as the sink keys them) except the
 * unique ones, which are the day's rows of the first-touch tables {@code email_opens},
 * {@code email_clicks} and {@code email_human_opens}, grouped by the key stored on each (the sink's definition of "first").
 * To that it adds the day's {@code daily_unstored} rows: what the sink counted without storing a
 * row (aggregate-only tenants, recipients within an erasure's hold) and what erasures deleted. A
 * recount of the raw tables alone would lower those counts to what is still stored, undoing the
 * privacy settings' promise that aggregates keep counting what happened.
 *
 * <p>The sink keeps adding to these rows while the job runs (a late or replayed event lands on a
 * closed day), so the repair must not overwrite an increment the recount did not see. The job
 * recounts first, then takes {@code LOCK TABLE daily_analytics IN SHARE ROW EXCLUSIVE MODE}: that
 * waits for every sink transaction that has already written to the table (its events are then
 * committed) and holds back the ones that have not (they add their increments on top of the
 * repaired rows after the commit). Under the lock it counts the day's raw events: raw events are
 * only ever added, so the same number as the recount counted means the recount saw exactly the
 * committed events, and the rows can be compared and repaired; a different number (events for the
 * day arrived meanwhile) makes it recount under the lock. Sink commits therefore pause for a count
 * of the day's events and the repair, or for a whole recount when late events race the job; the
 * journal absorbs the pause and nothing is lost. A reclassification of raw events (a re-score, a sink's
 * correction) changes no count but moves {@code human_opens_epoch}, read once every change before the
 * recount has settled ({@code HumanOpens.settledEpoch}) and again under the lock: a moved epoch makes it
 * recount under the lock too, so the repair never undoes a reclassification. Only rows that differ are
 * rewritten; the report goes to {@code rollup_reconciliations} and the log, a warning when it
 * found drift.
 */
public final class DailyReconciliation implements RollUp, DayUnits {

    private static final Logger log = LoggerFactory.getLogger(DailyReconciliation.class);

    /** daily_analytics' counters and their filter over email_events; null for the first-touch counts. */
    private static final Map<String, String> COUNTERS = DailyCounts.COUNTERS;
    private static final String KEY = DailyCounts.KEY;
    private static final String COLUMNS = DailyCounts.COLUMNS;
    /** The per-event counters of daily_unstored, summed: the day's events it stands for. */
    private static final String UNSTORED_EVENTS = "SELECT coalesce(sum(%s), 0) FROM daily_unstored WHERE date = {date}";

    /**
     * Not re-run for late events: the sink moves the daily counters in the late batch's own
     * transaction, so there is nothing to repair, and a run locks {@code daily_analytics} against
     * every sink while it recounts.
     */
    @Override
    public boolean countsEvents() {
        return false;
    }

    @Override
    public String jobType() {
        return "daily_reconcile";
    }

    @Override
    public String unit(LocalDate day) {
        return jobType() + ":" + day;
    }

    @Override
    public void run(Connection c, Period period, UUID tenantOrNull) throws SQLException {
        reconcile(c, period, tenantOrNull);
    }

    /** Reconciles each day of {@code period} in the caller's transaction; one report per day. */
    public List<ReconciliationReport> reconcile(Connection c, Period period, UUID tenantOrNull) throws SQLException {
        PeriodLock.requireTransaction(c);
        List<LocalDate> days = DailyRollUp.days(period);
        // every day's lock before the table lock of the first: a run holding the table lock never
        // waits for a day lock that a run waiting for the table lock holds
        for (LocalDate day : days) {
            PeriodLock.lock(c, unit(day), tenantOrNull);
        }
        // Before the first day's table lock, which the transaction then holds: waiting for the
        // reclassifications' lock while holding it would take the two in the order a re-score and a
        // correcting batch take them the other way round.
        long epoch = HumanOpens.settledEpoch(c);
        List<ReconciliationReport> out = new ArrayList<>();
        for (LocalDate day : days) {
            out.add(reconcileDay(c, day, tenantOrNull, epoch));
        }
        return out;
    }

    /** @param epoch the reclassifications' epoch read before this run's first recount, every change before it settled */
    private ReconciliationReport reconcileDay(Connection c, LocalDate day, UUID tenantOrNull, long epoch) throws SQLException {
        Map<String, Object> p = DailyRollUp.params(day, tenantOrNull);
        String tenant = Sql.tenantFilter("tenant_id", tenantOrNull);
        if (!Sql.exists(c, "SELECT 1 FROM email_events WHERE occurred_at >= {start} AND occurred_at < {end}" + tenant, p)) {
            ReconciliationReport r = new ReconciliationReport(day, tenantOrNull, 0, 0, 0, 0, Map.of(), true);
            record(c, r);
            log.info("daily_analytics {}: no raw events (none, or dropped by retention); not reconciled", day);
            return r;
        }
        // The long recount runs before the table lock, so the sink is held back only for a count and
        // the repair. Raw events are only ever added, so the same number of the day's events under the
        // lock means the same events, and the recount still holds; otherwise it is done again, locked.
        // A reclassification (a re-score, a sink's correction) changes no number but moves the epoch:
        // one committed after the recount read the rows would otherwise be undone by the repair.
        long recounted = recount(c, tenant, p);
        Sql.execute(c, "LOCK TABLE daily_analytics IN SHARE ROW EXCLUSIVE MODE");
        long lockedAt = System.nanoTime();
        // daily_unstored is written in the sink's batch transaction, and an erasure moves counts from
        // the raw tables to it in one transaction: the sum is as append-only as the raw events were
        long committed = Sql.one(c, "SELECT (SELECT count(*) FROM email_events WHERE occurred_at >= {start} AND occurred_at < {end}"
                + tenant + ") + (" + UNSTORED_EVENTS.formatted(String.join(" + ", ONE_PER_EVENT)) + tenant + ")", p,
                rs -> rs.getLong(1));
        if (committed != recounted) {
            log.info("daily_analytics {}: {} events arrived during the recount; recounting under the lock", day,
                    committed - recounted);
            recount(c, tenant, p);
        } else if (HumanOpens.epoch(c) != epoch) {
            log.info("daily_analytics {}: events were reclassified (or erased, or a tenant moved) during the recount;"
                    + " recounting under the lock", day);
            recount(c, tenant, p);
        }
        ReconciliationReport r = compare(c, day, tenantOrNull, tenant, p);
        if (!r.clean()) {
            repair(c, tenant, p);
            log.warn("daily_analytics {}{}: {} of {} rows drifted, {} missing, {} extra; repaired (table locked {} ms). "
                    + "Drift (table - recount): {}", day, tenantOrNull == null ? "" : " tenant " + tenantOrNull, r.rowsDrifted(),
                    r.rowsRecounted(), r.rowsMissing(), r.rowsExtra(), (System.nanoTime() - lockedAt) / 1_000_000, r.drift());
        } else {
            log.info("daily_analytics {}{}: {} rows match a recount of the raw events (table locked {} ms)", day,
                    tenantOrNull == null ? "" : " tenant " + tenantOrNull, r.rowsRecounted(),
                    (System.nanoTime() - lockedAt) / 1_000_000);
        }
        record(c, r);
        return r;
    }

    /** Events of a type counted by exactly one counter: their sum over the recount is the day's raw events. */
    private static final List<String> ONE_PER_EVENT = List.of("emails_sent", "emails_delivered", "opens_total", "clicks_total",
            "emails_bounced", "emails_replied", "unsubscribes", "complaints", "warmup_opens", "warmup_replies");

    /** Recounts the day into the temporary table {@code daily_recount}; returns how many raw events it counted. */
    private static long recount(Connection c, String tenant, Map<String, Object> p) throws SQLException {
        Sql.execute(c, "DROP TABLE IF EXISTS daily_recount");
        Sql.update(c, "CREATE TEMP TABLE daily_recount ON COMMIT DROP AS " + recount(tenant), p);
        return Sql.one(c, "SELECT coalesce(sum(" + String.join(" + ", ONE_PER_EVENT) + "), 0) FROM daily_recount", Map.of(),
                rs -> rs.getLong(1));
    }

    /**
     * The day's rows as the raw tables give them ({@link DailyCounts}: events and first touches per
     * key), plus what {@code daily_unstored} counted without a raw row (aggregate-only tenants,
     * erased recipients), summed per key.
     */
    private static String recount(String tenant) {
        return "SELECT " + KEY + ", " + COUNTERS.keySet().stream().map(k -> "sum(" + k + ")::bigint AS " + k)
                .collect(Collectors.joining(", "))
                + " FROM (SELECT " + KEY + ", " + COLUMNS + " FROM ("
                + DailyCounts.perKeyAndDay(at -> at + " >= {start} AND " + at + " < {end}" + tenant) + ") raw"
                + " UNION ALL SELECT " + KEY + ", " + COLUMNS + " FROM daily_unstored WHERE date = {date}" + tenant
                + ") u GROUP BY " + KEY;
    }

    private static ReconciliationReport compare(Connection c, LocalDate day, UUID tenantOrNull, String tenant,
                                                Map<String, Object> p) throws SQLException {
        String diffs = COUNTERS.keySet().stream().map(k -> "sum(CASE WHEN in_table THEN " + k + " ELSE -" + k + " END) AS " + k)
                .collect(Collectors.joining(", "));
        String changed = COUNTERS.keySet().stream().map(k -> k + " <> 0").collect(Collectors.joining(" OR "));
        String sql = "SELECT count(*) FILTER (WHERE in_r), count(*) FILTER (WHERE in_r AND in_d AND (" + changed + ")),"
                + " count(*) FILTER (WHERE in_r AND NOT in_d), count(*) FILTER (WHERE in_d AND NOT in_r), "
                + COUNTERS.keySet().stream().map(k -> "coalesce(sum(" + k + "), 0)").collect(Collectors.joining(", "))
                + " FROM (SELECT bool_or(in_table) AS in_d, bool_or(NOT in_table) AS in_r, " + diffs
                + " FROM (SELECT true AS in_table, " + KEY + ", " + COLUMNS + " FROM daily_analytics WHERE date = {date}" + tenant
                + " UNION ALL SELECT false, " + KEY + ", " + COLUMNS + " FROM daily_recount) u GROUP BY " + KEY + ") g";
        return Sql.one(c, sql, p, r -> {
            Map<String, Long> drift = new LinkedHashMap<>();
            int i = 5;
            for (String k : COUNTERS.keySet()) {
                long d = r.getLong(i++);
                if (d != 0) {
                    drift.put(k, d);
                }
            }
            return new ReconciliationReport(day, tenantOrNull, r.getLong(1), r.getLong(2), r.getLong(3), r.getLong(4), drift,
                    false);
        });
    }

    private static void repair(Connection c, String tenant, Map<String, Object> p) throws SQLException {
        Sql.update(c, "DELETE FROM daily_analytics d WHERE d.date = {date}" + tenant.replace("tenant_id", "d.tenant_id")
                + " AND NOT EXISTS (SELECT 1 FROM daily_recount r WHERE r.tenant_id = d.tenant_id AND r.user_id = d.user_id"
                + " AND r.campaign_id IS NOT DISTINCT FROM d.campaign_id AND r.mailbox_id IS NOT DISTINCT FROM d.mailbox_id)", p);
        String excluded = COUNTERS.keySet().stream().map(k -> "excluded." + k).collect(Collectors.joining(", "));
        String current = COUNTERS.keySet().stream().map(k -> "daily_analytics." + k).collect(Collectors.joining(", "));
        Sql.update(c, "INSERT INTO daily_analytics (" + KEY + ", date, " + COLUMNS + ") SELECT " + KEY + ", {date}::date, "
                + COLUMNS + " FROM daily_recount ORDER BY " + KEY
                + " ON CONFLICT ON CONSTRAINT daily_analytics_key DO UPDATE SET updated_at = now(), "
                + COUNTERS.keySet().stream().map(k -> k + " = excluded." + k).collect(Collectors.joining(", "))
                + " WHERE (" + current + ") IS DISTINCT FROM (" + excluded + ")", p);
    }

    private static void record(Connection c, ReconciliationReport r) throws SQLException {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("date", r.date());
        p.put("tenant", r.tenantOrNull());
        p.put("recounted", r.rowsRecounted());
        p.put("drifted", r.rowsDrifted());
        p.put("missing", r.rowsMissing());
        p.put("extra", r.rowsExtra());
        p.put("drift", r.drift().entrySet().stream().map(e -> "\"" + e.getKey() + "\": " + e.getValue())
                .collect(Collectors.joining(", ", "{", "}")));
        p.put("raw_missing", r.rawMissing());
        Sql.update(c, "INSERT INTO rollup_reconciliations (date, tenant_id, rows_recounted, rows_drifted, rows_missing,"
                + " rows_extra, drift, raw_missing) VALUES ({date}::date, {tenant}::uuid, {recounted}, {drifted}, {missing},"
                + " {extra}, {drift}::jsonb, {raw_missing})", p);
    }
}
