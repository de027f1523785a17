package io.trackedge.clusters;

import io.trackedge.jobs.JobRegistry;
import io.trackedge.jobs.JobStore;
import io.trackedge.sink.postgres.HumanOpens;
import io.trackedge.sink.postgres.MovedTenants;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Moves one tenant's rows from the cluster it was routed to before into the one it is routed to now
 * ({@code trackedge clusters move}, docs/clusters.md). Run it once every edge routes the
 * tenant to the destination and every sink of the source has passed the events accepted before that.
 *
 * <p>The source is read in one REPEATABLE READ transaction: every table's rows of the tenant are
 * copied from that one snapshot into the destination's transaction (merged by {@link MovedTable}'s
 * rules), with a {@code tenant_moves} record of what it copied ({@link MoveRecord}) and the recounts
 * the merge needs ({@link MoveRecounts}). The same source transaction then deletes the rows it saw; a
 * row that changed since its snapshot (a sink still writing the tenant there) makes that fail
 * (40001) before anything commits. The destination commits first, then the source. If the second
 * commit never happens, the record stays {@code copied}, and the next run finds it and deletes the
 * source's rows without copying them again, once they are still exactly the rows copied
 * ({@link TenantRows} fingerprints). Erasures wait for a move, and a move for them ({@link MoveGuards#lock}).
 * The source's delete marks the tenant moved out there, and the destination's transaction lifts a mark a
 * move out of it left ({@link MovedTenants}): an edge on the routing table from before the move has its
 * events of the tenant set aside in the source, for {@code bad-events replay} to forward.
 */
public final class TenantMove {

    /** What a run did. */
    public record Outcome(Map<String, Long> moved, List<String> recounts, long leftInSource, boolean resumed) {
        public long rows() {
            return moved.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** How long a statement of the move waits for a lock before the move fails. */
    static final String LOCK_WAIT = "10s";

    private final DataSource source;
    private final String sourceName;
    private final DataSource destination;
    private final String destinationName;
    private final Map<String, DataSource> others;
    private final MoveRecounts recounts;

    /** Between two clusters, the only ones configured. */
    public TenantMove(DataSource source, String sourceName, DataSource destination, String destinationName,
            JobRegistry registry, JobStore jobs) {
        this(source, sourceName, destination, destinationName, Map.of(), registry, jobs);
    }

    /**
     * @param others every other configured cluster, by name: one may hold an unfinished move out of the source
     *     ({@link MoveGuards#noUnfinishedMoveElsewhere})
     * @param registry the job types the edges run (their recounts are queued in the destination)
     * @param jobs the destination's jobs table
     */
    public TenantMove(DataSource source, String sourceName, DataSource destination, String destinationName,
            Map<String, DataSource> others, JobRegistry registry, JobStore jobs) {
        this.source = source;
        this.sourceName = sourceName;
        this.destination = destination;
        this.destinationName = destinationName;
        this.others = Map.copyOf(others);
        this.recounts = new MoveRecounts(registry, jobs);
    }

    /** Moves {@code tenant}'s rows; throws {@link MoveRefused} when the clusters' state says not to. */
    public Outcome move(UUID tenant) throws SQLException, IOException {
        Outcome done;
        try (Connection src = source.getConnection(); Connection dst = destination.getConnection()) {
            MoveGuards.sameSchema(src, dst);
            src.setAutoCommit(false);
            src.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            dst.setAutoCommit(false);
            try {
                done = move(src, dst, tenant);
            } finally {
                src.rollback(); // after a commit, a no-op; after a failure, nothing of this run stays
                dst.rollback();
                src.setAutoCommit(true);
                src.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
                dst.setAutoCommit(true);
            }
        }
        return new Outcome(done.moved(), done.recounts(), leftIn(tenant), done.resumed());
    }

    private Outcome move(Connection src, Connection dst, UUID tenant) throws SQLException, IOException {
        for (Connection c : List.of(src, dst)) {
            try (Statement s = c.createStatement()) {
                s.execute("SET LOCAL lock_timeout = '" + LOCK_WAIT + "'");
                // A row's text, which its fingerprint hashes, must not depend on where the move runs from.
                s.execute("SET LOCAL TimeZone = 'UTC'");
                s.execute("SET LOCAL DateStyle = 'ISO'");
                s.execute("SET LOCAL extra_float_digits = 1");
            }
        }
        MoveGuards.lock(src, dst, tenant, sourceName, destinationName);
        TenantRows before = TenantRows.of(src, tenant);
        MoveRecord unfinished = MoveRecord.unfinished(dst, tenant);
        if (unfinished != null) {
            return finish(src, dst, tenant, unfinished, before);
        }
        MoveGuards.noUnfinishedMoveInto(src, tenant, sourceName);
        MoveGuards.noUnfinishedMoveElsewhere(others, tenant, sourceName, destinationName);
        MoveGuards.noJobRunning(src, tenant, sourceName);
        if (before.total() == 0) {
            // Nothing to copy, but an edge still routing the tenant to the source must find it gone from there.
            MovedTenants.markMovedOut(src, tenant, destinationName);
            MovedTenants.clearMark(dst, tenant);
            dst.commit();
            src.commit();
            return new Outcome(before.counts(), List.of(), 0, false);
        }
        MoveGuards.noDroppedDays(src, dst, tenant);
        MoveGuards.noErasureHalfDone(src, dst, tenant, sourceName, destinationName);
        Set<LocalDate> inDestination = MoveRecounts.daysWithRows(dst, tenant);
        Set<LocalDate> inSource = MoveRecounts.daysWithRows(src, tenant);
        // Only on days both clusters have raw rows of can a job of the destination write the tenant's
        // roll-up rows (and warm-up scores) the copy merges into (a day the source's retention dropped
        // and the destination holds is refused above), so a tenant's long history does not fill the
        // lock table.
        SortedSet<LocalDate> both = new TreeSet<>(inDestination);
        both.retainAll(inSource);
        MoveGuards.holdJobs(dst, tenant, both, destinationName);
        SortedSet<LocalDate> stale = new TreeSet<>(inDestination);
        stale.addAll(inSource);
        Map<String, Long> moved = new LinkedHashMap<>();
        EdgeNumbers.translate(src, dst, tenant);
        TableCopy copy = new TableCopy(src, dst);
        copy.prepare();
        for (MovedTable t : MovedTable.ALL) {
            if (t.moves()) {
                moved.put(t.name(), copy.copy(t, tenant));
            }
        }
        if (!moved.equals(before.counts())) { // one snapshot: a difference is a bug here, not a sink writing
            throw new IllegalStateException("copied " + moved + " of " + before.counts());
        }
        MoveRecord.copied(dst, tenant, sourceName, destinationName, moved, before.fingerprints());
        List<String> queued = new ArrayList<>(recounts.queue(dst, tenant, stale, Instant.now()));
        queued.addAll(recounts.carry(src, dst, tenant));
        MovedTenants.clearMark(dst, tenant); // moved back in: its events are this cluster's again
        delete(src, tenant);
        dst.commit();
        try {
            src.commit();
        } catch (SQLException e) {
            throw new SQLException("tenant " + tenant + "'s rows are copied into " + destinationName + " but deleting them from "
                    + sourceName + " failed (" + e.getMessage() + "): run the same move again to finish it", e.getSQLState(), e);
        }
        MoveRecord.done(dst, tenant);
        return new Outcome(moved, queued, 0, false);
    }

    /** A run that stopped between its two commits: the copy is in; delete what it copied from the source. */
    private Outcome finish(Connection src, Connection dst, UUID tenant, MoveRecord unfinished, TenantRows now) throws SQLException {
        if (!unfinished.from().equals(sourceName)) {
            throw new MoveRefused("tenant " + tenant + " has an unfinished move from " + unfinished.from() + " into "
                    + destinationName + ": run the move from " + unfinished.from() + " first");
        }
        if (now.total() > 0) {
            if (!now.fingerprints().keySet().equals(unfinished.fingerprints().keySet())) {
                throw new MoveRefused("tenant " + tenant + "'s move into " + destinationName + " was stopped by a version that "
                        + "moved other tables (" + unfinished.fingerprints().keySet() + ", this one " + now.fingerprints().keySet()
                        + "): finish it with that version, or give it up as its own refusal would say (compare by hand, then in "
                        + destinationName + ": UPDATE tenant_moves SET state = 'done' WHERE tenant_id = '" + tenant
                        + "' AND state = 'copied')");
            }
            if (!notRecounted(now.fingerprints()).equals(notRecounted(unfinished.fingerprints()))) {
                throw new MoveRefused("tenant " + tenant + "'s rows in " + sourceName + " changed since they were copied into "
                        + destinationName + " (rows then " + unfinished.copied() + ", now " + now.counts() + "): a sink or "
                        + "erasure of " + sourceName + " wrote them after the copy, and nothing was deleted. Compare the two by hand: "
                        + "the copy in " + destinationName + " is merged with what its sinks wrote there and cannot be taken back "
                        + "out, so add to " + destinationName + " what " + sourceName + " holds of the tenant and it lacks (kept "
                        + "in both, rows are counted twice, and a later move would add them again), delete the tenant's rows from "
                        + sourceName + " but its bad_events of error_code '" + MovedTenants.CODE + "' (the edges forward those), then, in "
                        + destinationName + ": UPDATE tenant_moves SET state = 'done' WHERE tenant_id = '"
                        + tenant + "' AND state = 'copied'");
            }
            MoveGuards.noJobRunning(src, tenant, sourceName);
            recounts.carry(src, dst, tenant);
        }
        MovedTenants.clearMark(dst, tenant);
        dst.commit(); // the carried jobs, before the source's are deleted
        delete(src, tenant);
        src.commit();
        MoveRecord.done(dst, tenant);
        return new Outcome(unfinished.copied(), List.of(), 0, true);
    }

    /**
     * The fingerprints a stopped move must find unchanged: not the roll-ups', which the source's
     * every-tenant jobs (billing's month to date every night) rewrite and the destination recounts
     * from the raw rows the copy brought anyway.
     */
    private static Map<String, String> notRecounted(Map<String, String> fingerprints) {
        Map<String, String> kept = new LinkedHashMap<>(fingerprints);
        kept.keySet().removeIf(table -> MovedTable.BY_NAME.get(table).rule() == MovedTable.Rule.RECOUNTED);
        return kept;
    }

    /**
     * Deletes the tenant's rows from the source and marks it moved out there ({@link MovedTenants}): an edge
     * still on the routing table from before the move has its events there set aside, not written.
     */
    private void delete(Connection src, UUID tenant) throws SQLException {
        // As an erasure does: the source's sinks' batches wait, and then forget which emails had a human open (KnownHumanOpens).
        HumanOpens.lockForChange(src);
        MovedTenants.markMovedOut(src, tenant, destinationName);
        try (Statement s = src.createStatement()) {
            for (MovedTable t : MovedTable.ALL) {
                if (t.moves()) {
                    s.executeUpdate("DELETE FROM " + t.name() + " WHERE " + t.where(tenant));
                }
            }
            // Carried to the destination (MoveRecounts.carry); run here, they would find nothing of the tenant.
            s.executeUpdate("DELETE FROM analytics_jobs WHERE tenant_id = '" + tenant + "' AND status <> 'running'");
        }
    }

    /** The tenant's rows still in the source after the run, in a snapshot of its own. */
    private long leftIn(UUID tenant) throws SQLException {
        try (Connection c = source.getConnection()) {
            return TenantRows.of(c, tenant).total();
        }
    }

    /** The clusters' state says not to move now; the message says why and what to do. */
    public static final class MoveRefused extends RuntimeException {
        MoveRefused(String message) {
            super(message);
        }

        MoveRefused(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
