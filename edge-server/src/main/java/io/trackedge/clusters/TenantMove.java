package io.trackedge.clusters;

import io.trackedge.jobs.JobRegistry;
import io.trackedge.jobs.JobStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * Moves one tenant's rows from the cluster it was routed to before into the one it is routed to now
 * ({@code trackedge clusters move}, README "Past one PostgreSQL"). Run it once every edge routes the
 * tenant to the destination and every sink of the source has passed the events accepted before that.
 *
 * <p>The source is read in one REPEATABLE READ transaction: every table's rows of the tenant are
 * copied from that one snapshot into the destination's transaction (merged by {@link MovedTable}'s
 * rules), with a {@code tenant_moves} record of how many rows each table had and the recounts the
 * merge needs ({@link MoveRecounts}). The same source transaction then deletes the rows it saw; a
 * row that changed since its snapshot (a sink still writing the tenant there) makes that fail
 * (40001) before anything commits. The destination commits first, then the source. If the second
 * commit never happens, the record stays {@code copied}, and the next run finds it and deletes the
 * source's rows without copying them again, once their counts are still the copied ones.
 */
public final class TenantMove {

    /** What a run did. */
    public record Outcome(Map<String, Long> moved, List<String> recounts, long leftInSource, boolean resumed) {
        public long rows() {
            return moved.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private final DataSource source;
    private final String sourceName;
    private final DataSource destination;
    private final String destinationName;
    private final MoveRecounts recounts;

    /**
     * @param registry the job types the edges run (their recounts are queued in the destination)
     * @param jobs the destination's jobs table
     */
    public TenantMove(DataSource source, String sourceName, DataSource destination, String destinationName,
            JobRegistry registry, JobStore jobs) {
        this.source = source;
        this.sourceName = sourceName;
        this.destination = destination;
        this.destinationName = destinationName;
        this.recounts = new MoveRecounts(registry, jobs);
    }

    /** Moves {@code tenant}'s rows; throws {@link MoveRefused} when the clusters' state says not to. */
    public Outcome move(UUID tenant) throws SQLException, IOException {
        Outcome done;
        try (Connection src = source.getConnection(); Connection dst = destination.getConnection()) {
            requireSameSchema(src, dst);
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
                s.execute("SET LOCAL lock_timeout = '10s'");
            }
        }
        Map<String, Long> counts = counts(src, tenant);
        Unfinished unfinished = unfinished(dst, tenant);
        if (unfinished != null) {
            return finish(src, dst, tenant, unfinished, counts);
        }
        requireNoJobRunning(src, tenant);
        if (counts.values().stream().allMatch(n -> n == 0)) {
            return new Outcome(counts, List.of(), 0, false);
        }
        Set<LocalDate> stale = MoveRecounts.daysWithRows(dst, tenant);
        Map<String, Long> moved = new LinkedHashMap<>();
        Path scratch = Files.createTempFile("tenant-move-", ".copy");
        try {
            EdgeNumbers.translate(src, dst, tenant);
            TableCopy copy = new TableCopy(src, dst, scratch);
            for (MovedTable t : MovedTable.ALL) {
                if (t.moves()) {
                    moved.put(t.name(), copy.copy(t, tenant));
                }
            }
        } finally {
            Files.deleteIfExists(scratch);
        }
        if (!moved.equals(counts)) { // one snapshot: a difference is a bug here, not a sink writing
            throw new IllegalStateException("copied " + moved + " of " + counts);
        }
        try (PreparedStatement s = dst.prepareStatement("INSERT INTO tenant_moves (tenant_id, from_cluster, to_cluster, state, copied)"
                + " VALUES (?, ?, ?, 'copied', ?::jsonb)")) {
            s.setObject(1, tenant);
            s.setString(2, sourceName);
            s.setString(3, destinationName);
            s.setString(4, json(moved));
            s.executeUpdate();
        }
        List<String> queued = recounts.queue(dst, tenant, stale, Instant.now());
        delete(src, tenant);
        dst.commit();
        try {
            src.commit();
        } catch (SQLException e) {
            throw new SQLException("tenant " + tenant + "'s rows are copied into " + destinationName + " but deleting them from "
                    + sourceName + " failed (" + e.getMessage() + "): run the same move again to finish it", e.getSQLState(), e);
        }
        markDone(dst, tenant);
        return new Outcome(moved, queued, 0, false);
    }

    /** A run that stopped between its two commits: the copy is in; delete what it copied from the source. */
    private Outcome finish(Connection src, Connection dst, UUID tenant, Unfinished unfinished, Map<String, Long> counts)
            throws SQLException {
        if (!unfinished.from.equals(sourceName)) {
            throw new MoveRefused("tenant " + tenant + " has an unfinished move from " + unfinished.from + " into "
                    + destinationName + ": run the move from " + unfinished.from + " first");
        }
        boolean deleted = counts.values().stream().allMatch(n -> n == 0);
        if (!deleted && !counts.equals(unfinished.copied)) {
            throw new MoveRefused("tenant " + tenant + "'s rows in " + sourceName + " changed since they were copied into "
                    + destinationName + " (then " + unfinished.copied + ", now " + counts + "): a sink of " + sourceName
                    + " wrote the tenant after the copy; move the rows it wrote by hand, or mark the move done");
        }
        if (!deleted) {
            requireNoJobRunning(src, tenant);
            delete(src, tenant);
            src.commit();
        }
        markDone(dst, tenant);
        return new Outcome(unfinished.copied, List.of(), 0, true);
    }

    private static void delete(Connection src, UUID tenant) throws SQLException {
        try (Statement s = src.createStatement()) {
            for (MovedTable t : MovedTable.ALL) {
                if (t.moves()) {
                    s.executeUpdate("DELETE FROM " + t.name() + " WHERE " + t.where(tenant));
                }
            }
            // Its queued roll-ups there would find nothing of it (the move queued what it needs here).
            s.executeUpdate("DELETE FROM analytics_jobs WHERE tenant_id = '" + tenant + "' AND status <> 'running'");
        }
    }

    private static void markDone(Connection dst, UUID tenant) throws SQLException {
        try (PreparedStatement s = dst.prepareStatement("UPDATE tenant_moves SET state = 'done', finished_at = now()"
                + " WHERE tenant_id = ? AND state = 'copied'")) {
            s.setObject(1, tenant);
            s.executeUpdate();
        }
        dst.commit();
    }

    private static Map<String, Long> counts(Connection c, UUID tenant) throws SQLException {
        Map<String, Long> counts = new LinkedHashMap<>();
        try (Statement s = c.createStatement()) {
            for (MovedTable t : MovedTable.ALL) {
                if (t.moves()) {
                    try (ResultSet r = s.executeQuery("SELECT count(*) FROM " + t.name() + " WHERE " + t.where(tenant))) {
                        r.next();
                        counts.put(t.name(), r.getLong(1));
                    }
                }
            }
        }
        return counts;
    }

    /** The tenant's rows still in the source after the run, in a snapshot of its own. */
    private long leftIn(UUID tenant) throws SQLException {
        try (Connection c = source.getConnection()) {
            return counts(c, tenant).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private record Unfinished(String from, Map<String, Long> copied) {
    }

    private static Unfinished unfinished(Connection dst, UUID tenant) throws SQLException {
        try (PreparedStatement s = dst.prepareStatement("SELECT from_cluster, t.key, t.value::bigint FROM tenant_moves,"
                + " jsonb_each_text(copied) AS t WHERE tenant_id = ? AND state = 'copied' FOR UPDATE OF tenant_moves")) {
            s.setObject(1, tenant);
            String from = null;
            Map<String, Long> copied = new LinkedHashMap<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    from = r.getString(1);
                    copied.put(r.getString(2), r.getLong(3));
                }
            }
            if (from == null) {
                return null;
            }
            // In the table order, as counts() makes them, so that the two compare as maps and print alike.
            Map<String, Long> ordered = new LinkedHashMap<>();
            for (MovedTable t : MovedTable.ALL) {
                if (t.moves()) {
                    ordered.put(t.name(), copied.getOrDefault(t.name(), 0L));
                }
            }
            return new Unfinished(from, ordered);
        }
    }

    private void requireNoJobRunning(Connection src, UUID tenant) throws SQLException {
        try (PreparedStatement s = src.prepareStatement("SELECT job_type FROM analytics_jobs WHERE tenant_id = ? AND status = 'running'")) {
            s.setObject(1, tenant);
            try (ResultSet r = s.executeQuery()) {
                if (r.next()) {
                    throw new MoveRefused("a " + r.getString(1) + " job of tenant " + tenant + " is running in " + sourceName
                            + ": try again when it has finished");
                }
            }
        }
    }

    private static void requireSameSchema(Connection src, Connection dst) throws SQLException {
        String a = schema(src);
        String b = schema(dst);
        if (!a.equals(b)) {
            throw new MoveRefused("the clusters' schemas differ (migrations up to V" + a + " and V" + b + "): run trackedge migrate first");
        }
    }

    private static String schema(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(
                "SELECT max(version::int) FROM flyway_schema_history WHERE success AND version IS NOT NULL")) {
            r.next();
            return String.valueOf(r.getInt(1));
        }
    }

    private static String json(Map<String, Long> counts) {
        return counts.entrySet().stream().map(e -> "\"" + e.getKey() + "\": " + e.getValue())
                .collect(Collectors.joining(", ", "{", "}"));
    }

    /** The clusters' state says not to move now; the message says why and what to do. */
    public static final class MoveRefused extends RuntimeException {
        MoveRefused(String message) {
            super(message);
        }
    }
}
