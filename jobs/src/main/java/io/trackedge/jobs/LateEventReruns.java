package io.trackedge.jobs;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the roll-ups of closed periods again when events land in them after they closed. The sink
 * adds a row to {@code analytics_late_days} for each closed UTC day a batch writes into, in the
 * batch's own transaction, holding that transaction's id. Here, once a day's oldest row is the
 * schedule delay old (so that one re-run takes a whole burst), its rows are taken (deleted) and, for
 * every period holding the day and every scheduled roll-up that counts events, the job is made to
 * see those transactions: it did if its claim's snapshot ({@code claim_snapshot}) saw them all;
 * else a completed job is queued again and a running one flagged ({@code rerun_requested}: its
 * completion queues it again). A due period without a job gets one (history older than the first
 * schedule, e.g. a backfill); one not yet due gets its scheduled run, which comes later.
 *
 * <p>An erasure marks the erased email's days the same way, for {@code lead_analytics} alone (the mark's
 * {@code job_type}, sql/V36): the one roll-up keyed by a person is recomputed without the deleted rows.
 *
 * <p>Visibility, not clocks, decides: a batch that commits late, or a node whose clock is off,
 * cannot make a job look as if it had read what it had not. Roll-ups recompute whole UTC days (an
 * hour's job its whole day so far), so the hour jobs of a closed day are left to the day's job of
 * the same type, when it has one.
 *
 * <p>The hourly tables' hour jobs recount only their hour ({@link RollUp#rowsPerHour}), so the sink
 * marks hours of today too ({@code analytics_late_hours}, sql/V28); a marked hour runs those types'
 * jobs of that hour and of each later hour of its day again, the same way: an older open may move
 * an email's first open or click out of any later hour.
 */
final class LateEventReruns {

    private static final Logger log = LoggerFactory.getLogger(LateEventReruns.class);

    /** Days handled per tick, oldest first, so that a month of backfill is a few bounded transactions. */
    static final int MAX_DAYS_PER_TICK = 31;

    private final JobRegistry registry;
    private final JobStore store;
    private final Duration delay;

    LateEventReruns(JobRegistry registry, JobStore store, Duration delay) {
        this.registry = registry;
        this.store = store;
        this.delay = delay;
    }

    /** What was done for one job. */
    enum Rerun { ENQUEUED, REQUEUED, FLAGGED, COVERED }

    /** Turns the settled days' marks into jobs; returns the jobs queued (for the caller to hint in Redis). */
    List<JobStore.Enqueued> rerun(Connection c, Instant now) throws SQLException {
        List<JobStore.Enqueued> made = new ArrayList<>();
        for (LocalDate day : settledDays(c, now.minus(delay))) {
            List<DayMark> marks = takeDay(c, day);
            Map<Rerun, Integer> done = new EnumMap<>(Rerun.class);
            for (Granularity g : Granularity.values()) {
                for (JobRegistry.JobType t : registry.scheduledFor(g)) {
                    if (!t.rollUp().countsEvents() || g == Granularity.HOUR && !hourlyOnly(t)) {
                        continue;
                    }
                    List<String> xids = DayMark.xidsFor(marks, t.name());
                    if (xids.isEmpty()) {
                        continue; // the day's marks are all an erasure's, for another type
                    }
                    for (Period p : periods(g, day)) {
                        done.merge(rerun(c, t, p, xids, !p.end().plus(delay).isAfter(now), made), 1, Integer::sum);
                    }
                }
            }
            log.info("events landed in {} after it closed, or were erased from it ({} transaction(s)): roll-up jobs {}", day,
                    marks.size(), done);
        }
        for (Instant hour : settledHours(c, now.minus(delay))) {
            List<String> xids = takeHour(c, hour);
            Map<Rerun, Integer> done = new EnumMap<>(Rerun.class);
            for (JobRegistry.JobType t : registry.scheduledFor(Granularity.HOUR)) {
                if (!t.rollUp().countsEvents() || !t.rollUp().rowsPerHour()) {
                    continue; // its next hour's job recounts the day so far
                }
                for (Period p : hoursFrom(hour, now)) {
                    done.merge(rerun(c, t, p, xids, !p.end().plus(delay).isAfter(now), made), 1, Integer::sum);
                }
            }
            // Every hour's first batches carry the last hour's events: those marks find its job still queued (COVERED).
            if (done.keySet().equals(Set.of(Rerun.COVERED))) {
                log.debug("events landed in hour {} after it closed ({} batch(es)): its jobs had not run yet", hour, xids.size());
            } else {
                log.info("events landed in hour {} after it closed ({} batch(es)): its and its day's later hours' jobs {}", hour,
                        xids.size(), done);
            }
        }
        return made;
    }

    /** The hour and each later hour of its UTC day that has begun by {@code now}. */
    private static List<Period> hoursFrom(Instant hour, Instant now) {
        Instant dayEnd = Granularity.DAY.next(Granularity.DAY.floor(hour));
        List<Period> hours = new ArrayList<>();
        for (Period p = Period.hourOf(hour); p.start().isBefore(dayEnd) && !p.start().isAfter(now); p = p.next()) {
            hours.add(p);
        }
        return hours;
    }

    private static List<Instant> settledHours(Connection c, Instant firstMarkedBy) throws SQLException {
        List<Instant> out = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT hour FROM analytics_late_hours GROUP BY hour"
                + " HAVING min(marked_at) <= ? ORDER BY hour LIMIT " + MAX_DAYS_PER_TICK * 24)) {
            s.setTimestamp(1, Timestamp.from(firstMarkedBy));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(r.getObject(1, OffsetDateTime.class).toInstant());
                }
            }
        }
        return out;
    }

    /** Without a daily run, only the type's hours recount the day (a month not yet due waits for its close). */
    private static boolean hourlyOnly(JobRegistry.JobType t) {
        return !t.schedule().contains(Granularity.DAY);
    }

    /** The periods of {@code g} holding {@code day}: its 24 hours, or the one day, week or month. */
    private static List<Period> periods(Granularity g, LocalDate day) {
        Instant start = day.atStartOfDay(ZoneOffset.UTC).toInstant();
        if (g != Granularity.HOUR) {
            return List.of(Period.of(g, start));
        }
        List<Period> hours = new ArrayList<>(24);
        for (int h = 0; h < 24; h++) {
            hours.add(Period.hourOf(start.plus(Duration.ofHours(h))));
        }
        return hours;
    }

    private List<LocalDate> settledDays(Connection c, Instant firstMarkedBy) throws SQLException {
        List<LocalDate> out = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT day FROM analytics_late_days WHERE job_type IS NULL"
                + " OR job_type = ANY (?) GROUP BY day HAVING min(marked_at) <= ? ORDER BY day LIMIT " + MAX_DAYS_PER_TICK)) {
            s.setArray(1, c.createArrayOf("text", registry.names().toArray()));
            s.setTimestamp(2, Timestamp.from(firstMarkedBy));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(r.getObject(1, LocalDate.class));
                }
            }
        }
        return out;
    }

    /**
     * One row of {@code analytics_late_days}: the transaction that wrote into the day, and the one job
     * type it asks for (an erasure's, sql/V36), or null for every roll-up that counts events (a batch's).
     */
    record DayMark(String xid, String jobType) {
        static List<String> xidsFor(List<DayMark> marks, String type) {
            List<String> xids = new ArrayList<>();
            for (DayMark m : marks) {
                if (m.jobType == null || m.jobType.equals(type)) {
                    xids.add(m.xid);
                }
            }
            return xids;
        }
    }

    /** Deletes the day's marks (any batch or erasure marking it later adds a row of its own) and returns them. */
    private List<DayMark> takeDay(Connection c, LocalDate day) throws SQLException {
        List<DayMark> marks = new ArrayList<>();
        // A mark naming a type this node does not run stays, for a node that does (as a queued job of an unknown type does).
        try (PreparedStatement s = c.prepareStatement("DELETE FROM analytics_late_days WHERE day = ?"
                + " AND (job_type IS NULL OR job_type = ANY (?)) RETURNING xid::text, job_type")) {
            s.setObject(1, day);
            s.setArray(2, c.createArrayOf("text", registry.names().toArray()));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    marks.add(new DayMark(r.getString(1), r.getString(2)));
                }
            }
        }
        return marks;
    }

    /** Deletes the hour's marks (any batch marking it later adds a row of its own) and returns their transaction ids. */
    private static List<String> takeHour(Connection c, Instant hour) throws SQLException {
        List<String> xids = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("DELETE FROM analytics_late_hours WHERE hour = ? RETURNING xid::text")) {
            s.setObject(1, hour.atOffset(ZoneOffset.UTC));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    xids.add(r.getString(1));
                }
            }
        }
        return xids;
    }

    /** One job: its row read once and locked, so that a completion cannot slip between the check and the update. */
    private Rerun rerun(Connection c, JobRegistry.JobType t, Period p, List<String> xids, boolean due,
                        List<JobStore.Enqueued> made) throws SQLException {
        UUID id;
        String status;
        boolean saw;
        Array late = c.createArrayOf("text", xids.toArray());
        try (PreparedStatement s = c.prepareStatement("SELECT j.job_id, j.status, j.claim_snapshot IS NOT NULL AND (SELECT"
                + " bool_and(pg_visible_in_snapshot(x::xid8, j.claim_snapshot)) FROM unnest(?::text[]) x) FROM analytics_jobs j"
                + " WHERE j.tenant_id IS NULL AND j.job_type = ? AND j.granularity = ? AND j.period_start = ? FOR UPDATE")) {
            s.setArray(1, late);
            s.setString(2, t.name());
            s.setString(3, p.granularity().label());
            s.setTimestamp(4, Timestamp.from(p.start()));
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    if (!due) {
                        return Rerun.COVERED; // its scheduled run comes later than the batches
                    }
                    made.add(store.enqueue(c, t.name(), t.priority(), p, null));
                    return Rerun.ENQUEUED;
                }
                id = r.getObject(1, UUID.class);
                status = r.getString(2);
                saw = r.getBoolean(3);
            }
        } finally {
            late.free();
        }
        // queued, or failed awaiting a retry: its next claim sees the batches; dead: `jobs retry` will
        if (saw || !(status.equals("completed") || status.equals("running"))) {
            return Rerun.COVERED;
        }
        boolean running = status.equals("running");
        try (PreparedStatement s = c.prepareStatement("UPDATE analytics_jobs SET " + (running ? "rerun_requested = true"
                : "status = 'queued', attempts = 0, run_after = now(), dispatched_at = NULL, finished_at = NULL, queued_at = now()")
                + " WHERE job_id = ?")) {
            s.setObject(1, id);
            s.executeUpdate();
        }
        if (running) {
            return Rerun.FLAGGED;
        }
        made.add(new JobStore.Enqueued(id, t.priority(), true));
        return Rerun.REQUEUED;
    }
}
