package io.trackedge.jobs;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the roll-ups of closed periods again when events land in them after they closed. The sink
 * marks each such hour in {@code analytics_late_hours} in the batch's own transaction; here, inside
 * the scheduler's locked transaction, every mark older than the schedule delay (so that one re-run
 * takes all the late events of a burst) is turned into jobs: for each granularity the scheduler
 * enqueues, the period holding the hour, when it is due, gets its roll-ups enqueued (it never had
 * them: history older than the first schedule) or queued again (they completed before the events
 * were in). A mark whose job is running, and may have read before the events, stays for the next tick.
 *
 * <p>Periods not yet due need nothing: their scheduled run comes after this tick, which saw the
 * mark, so after the batch that wrote it committed. Locking the marks ({@code FOR UPDATE}) waits for
 * a batch that is marking the same hour to commit first.
 */
final class LateEventReruns {

    private static final Logger log = LoggerFactory.getLogger(LateEventReruns.class);

    /** Marks handled per tick, oldest hour first, so that a month of backfill is one bounded transaction at a time. */
    static final int MAX_HOURS_PER_TICK = 200;
    /**
     * A batch commits within this of marking its hours (the mark is its last statement), so a job
     * that started this long after a mark's last batch has read that batch's events.
     */
    static final Duration COMMIT_MARGIN = Duration.ofMinutes(1);

    private final JobRegistry registry;
    private final JobStore store;
    private final Duration delay;

    LateEventReruns(JobRegistry registry, JobStore store, Duration delay) {
        this.registry = registry;
        this.store = store;
        this.delay = delay;
    }

    private record Mark(Instant hour, Instant lastMarked) {
    }

    /** Turns the settled marks into jobs; returns the jobs queued (for the caller to hint in Redis). */
    List<JobStore.Enqueued> rerun(Connection c, Instant now) throws SQLException {
        List<JobStore.Enqueued> made = new ArrayList<>();
        for (Mark m : settledMarks(c, now.minus(delay))) {
            int before = made.size();
            if (rerun(c, m, now, made)) {
                delete(c, m.hour());
            }
            if (made.size() > before) {
                log.info("events landed in {} after it closed: {} roll-up job(s) queued to count them", m.hour(), made.size() - before);
            }
        }
        return made;
    }

    /** Returns whether every due period of the hour is taken care of (false: a job of one is still running). */
    private boolean rerun(Connection c, Mark m, Instant now, List<JobStore.Enqueued> made) throws SQLException {
        boolean done = true;
        for (Granularity g : Granularity.values()) {
            Period p = Period.of(g, m.hour());
            if (p.end().plus(delay).isAfter(now)) {
                continue;
            }
            for (JobRegistry.JobType t : registry.scheduledFor(g)) {
                if (t.rollUp().countsEvents()
                        && store.rerun(c, t.name(), t.priority(), p, m.lastMarked().plus(COMMIT_MARGIN), made) == JobStore.Rerun.RUNNING) {
                    done = false;
                }
            }
        }
        return done;
    }

    private static List<Mark> settledMarks(Connection c, Instant firstMarkedBy) throws SQLException {
        List<Mark> out = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT hour_start, last_marked_at FROM analytics_late_hours"
                + " WHERE first_marked_at <= ? ORDER BY hour_start LIMIT " + MAX_HOURS_PER_TICK + " FOR UPDATE")) {
            s.setTimestamp(1, Timestamp.from(firstMarkedBy));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(new Mark(r.getTimestamp(1).toInstant(), r.getTimestamp(2).toInstant()));
                }
            }
        }
        return out;
    }

    private static void delete(Connection c, Instant hour) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("DELETE FROM analytics_late_hours WHERE hour_start = ?")) {
            s.setTimestamp(1, Timestamp.from(hour));
            s.executeUpdate();
        }
    }
}
