package io.trackedge.jobs.rollup;

import io.trackedge.jobs.Period;
import io.trackedge.jobs.RollUp;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.LocalDate;
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
 * A roll-up whose rows are per UTC day: a job of any granularity recomputes every day its period
 * touches (an hour recomputes its whole day so far, so an hourly job keeps today fresh; a week
 * recomputes seven days), each day locked ({@link PeriodLock}) and replaced as a whole. A roll-up
 * whose rows are per hour recounts only an hour's period ({@link #span}), under its day's lock.
 *
 * <p>A day with no raw events left (its partition dropped by retention) is not recomputed: its
 * roll-up rows are what remains of it, and recomputing would delete them. A day whose partition is
 * kept and empty (an erasure took its last events) is: its rows go.
 */
abstract class DailyRollUp implements RollUp, DayUnits {

    private static final Logger log = LoggerFactory.getLogger(DailyRollUp.class);

    @Override
    public final void run(Connection c, Period period, UUID tenantOrNull) throws SQLException {
        PeriodLock.requireTransaction(c);
        // PostgreSQL compiles a query costed past jit_above_cost before running it: 100 ms and more for
        // these, about a third of an hour's recount and nothing gained on a day's (docs/benchmarks.md).
        Sql.execute(c, "SET LOCAL jit = off");
        for (LocalDate day : days(period)) {
            PeriodLock.lock(c, unit(day), tenantOrNull);
            Map<String, Object> p = params(day, tenantOrNull);
            if (!Sql.exists(c, "SELECT 1 FROM email_events WHERE occurred_at >= {start} AND occurred_at < {end}"
                    + Sql.tenantFilter("tenant_id", tenantOrNull), p) && !keptAndEmpty(c, day)) {
                log.debug("{} {}: no raw events (none yet, or dropped by retention); rows left as they are", jobType(), day);
                continue;
            }
            recomputeDay(c, day, tenantOrNull, span(period, p));
        }
    }

    /**
     * Whether {@code day}'s raw events are kept and none is left: its partition is there and retention
     * never marked it dropped, so an erasure took its last events (whose roll-up rows must go with
     * them, a lead's above all). A day without its own partition (dropped, or never made: its events
     * would be in the default partition) keeps its rows.
     */
    private static boolean keptAndEmpty(Connection c, LocalDate day) throws SQLException {
        return Sql.exists(c, "SELECT 1 WHERE to_regclass('email_events_" + day.format(java.time.format.DateTimeFormatter.BASIC_ISO_DATE)
                + "') IS NOT NULL AND NOT EXISTS (SELECT 1 FROM email_events_dropped_through WHERE day >= {date}::date)",
                Map.of("date", day)); // the day alone: the tenant filter does not apply to a partition
    }

    @Override
    public final String unit(LocalDate day) {
        return jobType() + ":" + day;
    }

    /**
     * The part of a day the period recounts, as {@code p} with other bounds: the whole day by default.
     * A roll-up whose rows are per hour narrows an hour's period to its hour.
     */
    Map<String, Object> span(Period period, Map<String, Object> day) {
        return day;
    }

    /**
     * Replaces the day's rows (of one tenant, or all when null) with a recount, inside the caller's
     * transaction and under the day's lock. {@code p} binds {@code {start}}, {@code {end}} (the
     * day's UTC bounds, or narrower: {@link #span}), {@code {date}} and, when a tenant is given,
     * {@code {tenant}}.
     */
    abstract void recomputeDay(Connection c, LocalDate day, UUID tenantOrNull, Map<String, Object> p) throws SQLException;

    static List<LocalDate> days(Period period) {
        List<LocalDate> out = new ArrayList<>();
        for (LocalDate d = period.startDate(); !d.isAfter(period.lastDate()); d = d.plusDays(1)) {
            out.add(d);
        }
        return out;
    }

    static Map<String, Object> params(LocalDate day, UUID tenantOrNull) {
        Map<String, Object> p = new HashMap<>();
        p.put("start", day.atStartOfDay().atOffset(ZoneOffset.UTC));
        p.put("end", day.plusDays(1).atStartOfDay().atOffset(ZoneOffset.UTC));
        p.put("date", day);
        if (tenantOrNull != null) {
            p.put("tenant", tenantOrNull);
        }
        return p;
    }

    static OffsetDateTime utc(LocalDate d) {
        return d.atStartOfDay().atOffset(ZoneOffset.UTC);
    }
}
