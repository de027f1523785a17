package io.trackedge.jobs.rollup;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

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
 * from {@code mailbox_analytics} as they stand when the job runs; a day recomputed after later days
 * closed (late events, a backfill run out of order) whose bounce, complaint or send counts moved
 * marks the closed days of the week after it that scored the mailbox, for the mailbox and warm-up
 * roll-ups ({@link #replaceDayMarkingWeekAfter}), and the scheduler's late-event re-runs recompute
 * them. The
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

    /**
     * The job types whose days hold a score, written by {@link EmailMetricsRollUp#mailboxes} and
     * {@link WarmupRollUp}, each into the table of its own name.
     */
    static final List<String> SCORED_JOB_TYPES = List.of(EmailMetricsRollUp.MAILBOX_JOB_TYPE, WarmupRollUp.JOB_TYPE);

    /** The window's counts of one mailbox-day, as they move the scores of the days after it. */
    private static final String WINDOW_COUNTS = "sent, delivered, bounced, bounces_hard, bounces_soft, spam_complaints";

    /** The old rows' window counts, from the day's delete to the marking after its insert; dropped at commit. */
    private static final String OLD_ROWS = "mailbox_recount_old";

    /** The statement inserting a day's recount, run between the delete and the marking. */
    @FunctionalInterface
    interface Insert {
        void run() throws SQLException;
    }

    /**
     * Replaces {@code mailbox_analytics}' rows of {@code day} (of one tenant, or all): deletes them and runs
     * {@code insert}, their recount. When the day's window counts moved for a mailbox, marks each closed day
     * of the week after it that holds that mailbox's score, or whose day job has not completed (none yet: the
     * day that just closed, before the scheduler enqueues it; queued, running, failed: a backfill's later day),
     * or has a tenant's job not completed, for {@link #SCORED_JOB_TYPES} ({@code analytics_late_days}): the
     * scheduler re-runs them, or leaves a job whose claim saw this transaction (LateEventReruns). A day whose
     * next day has not closed (the day's own run, each night) has nothing to mark and is a plain delete. The
     * days marked are re-run whole, and their counts do not move: nothing further is marked. A day that held
     * no row before (counted the first time, run by hand ahead of the schedule) does not mark days for
     * having no completed job: those would count the first time too, each marking the week after it.
     *
     * <p>What moved is the deleted rows against the rows the insert wrote, read back after it: the day's lock
     * keeps every other writer of them out, so they are exactly the recount. Not against a recount of its
     * own in the delete's statement: under READ COMMITTED each statement reads the events as they stand when
     * it starts, and a sink batch committing between the two (late hard bounces) went into the row but not
     * into the marks; the later days kept their scores, and every later recount compared against the row
     * that already held the bounces ({@code HealthMarksRaceIT}).
     */
    static void replaceDayMarkingWeekAfter(Connection c, LocalDate day, UUID tenantOrNull, Map<String, Object> p,
                                           LocalDate today, Insert insert) throws SQLException {
        String tenant = Sql.tenantFilter("tenant_id", tenantOrNull);
        String delete = "DELETE FROM mailbox_analytics WHERE date = {date}" + tenant;
        LocalDate through = day.plusDays(WINDOW_DAYS - 1);
        if (through.isAfter(today.minusDays(1))) {
            through = today.minusDays(1);
        }
        if (through.isBefore(day.plusDays(1))) {
            Sql.update(c, delete, p);
            insert.run();
            return;
        }
        // IF NOT EXISTS: a job of several days (a week) replaces them in one transaction; the marking empties it.
        Sql.execute(c, "CREATE TEMP TABLE IF NOT EXISTS " + OLD_ROWS + " (tenant_id uuid, mailbox_id text COLLATE \"C\", "
                + WINDOW_COUNTS.replace(",", " bigint,") + " bigint) ON COMMIT DROP");
        Sql.update(c, "WITH old AS (" + delete + " RETURNING tenant_id, mailbox_id, " + WINDOW_COUNTS + ") INSERT INTO " + OLD_ROWS
                + " (tenant_id, mailbox_id, " + WINDOW_COUNTS + ") SELECT tenant_id, mailbox_id, " + WINDOW_COUNTS + " FROM old", p);
        insert.run();
        Map<String, Object> q = new HashMap<>(p);
        q.put("first_after", day.plusDays(1));
        q.put("last_after", through);
        StringBuilder moved = new StringBuilder();
        for (String col : WINDOW_COUNTS.split(", ")) {
            moved.append(moved.isEmpty() ? "" : " OR ").append("coalesce(o.").append(col).append(", 0) <> coalesce(m.")
                    .append(col).append(", 0)");
        }
        StringBuilder marks = new StringBuilder();
        for (String type : SCORED_JOB_TYPES) {
            marks.append(marks.isEmpty() ? "" : " UNION ALL ").append("SELECT d, '").append(type).append("' FROM after")
                    .append(" WHERE EXISTS (SELECT 1 FROM moved JOIN ").append(type).append(" a ON a.tenant_id = moved.tenant_id")
                    .append(" AND a.mailbox_id = moved.mailbox_id AND a.date = d)")
                    // A day whose job has not completed may yet be scored from this day as it was, by a claim before
                    // this commits. Not only a job there now (queued, running, failed): the first night after a day
                    // closes it has none until the scheduler enqueues it, which can be claimed and completed before
                    // this commits (WarmupMarkBeforeItsJobIT). LateEventReruns queues such a job again, or flags it,
                    // unless its claim saw this transaction; a day with no job yet gets its scheduled run, or a job
                    // when due. A completed day job without the mailbox's row read nothing this moves.
                    // Not for a day counted the first time (no old rows: run by hand ahead of the schedule): the
                    // days it marked would each count for the first time too, and mark the week after them.
                    .append(" OR EXISTS (SELECT 1 FROM moved) AND (EXISTS (SELECT 1 FROM old) AND NOT EXISTS (SELECT 1 FROM analytics_jobs j WHERE j.tenant_id IS NULL")
                    .append(" AND j.job_type = '").append(type).append("' AND j.granularity = 'day'")
                    .append(" AND j.period_start = d::timestamp AT TIME ZONE 'UTC' AND j.status = 'completed')")
                    // and any job of the day not completed beside it: a tenant's (split, or a tenant move's recount)
                    .append(" OR EXISTS (SELECT 1 FROM analytics_jobs j WHERE j.status <> 'completed' AND j.job_type = '").append(type)
                    .append("' AND j.period_start < (d + 1)::timestamp AT TIME ZONE 'UTC' AND j.period_end > d::timestamp AT TIME ZONE 'UTC'))");
        }
        Sql.update(c, "WITH old AS (DELETE FROM " + OLD_ROWS + " RETURNING tenant_id, mailbox_id, " + WINDOW_COUNTS + ")"
                + ", written AS (SELECT tenant_id, mailbox_id, " + WINDOW_COUNTS + " FROM mailbox_analytics WHERE date = {date}" + tenant + ")"
                + ", moved AS MATERIALIZED (SELECT coalesce(o.tenant_id, m.tenant_id) AS tenant_id,"
                + " coalesce(o.mailbox_id, m.mailbox_id) AS mailbox_id"
                + " FROM old o FULL JOIN written m ON m.tenant_id = o.tenant_id AND m.mailbox_id = o.mailbox_id WHERE " + moved + ")"
                + ", after AS (SELECT d::date AS d FROM generate_series({first_after}::date, {last_after}::date, interval '1 day') d)"
                + " INSERT INTO analytics_late_days (day, job_type) " + marks, q);
    }

    /** Today's UTC date by this node's clock: the days before it have closed. */
    static LocalDate todayUtc() {
        return LocalDate.now(ZoneOffset.UTC);
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
