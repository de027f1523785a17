package io.trackedge.sink.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.Set;
import java.util.UUID;

/**
 * One Postgres sink's row of {@code sink_cursors} in the database it writes to: claimed on each
 * connect ({@link CursorClaim}), then locked and checked at a batch's start and moved to its end in
 * the batch's own transaction, or rewound when the journal lost the records it pointed past. The row
 * names the host that claimed it ({@code host}): a batch of any other host is refused, so that two
 * live edges sharing one node id never take turns moving it. Holds no state of its own beyond the
 * row's key and this host's name; used by one writer at a time, on the connection given.
 *
 * <p>Plain JDBC, not jOOQ: the lock and the move run once a batch, and rendering the jOOQ query each
 * time was a tenth of the commit thread's CPU at 10,000 events/s (docs/benchmarks.md, 2026-12-05 night).
 */
final class CursorRow {

    /** {@code object_not_in_prerequisite_state}, as {@link CursorClaim} refuses a row. */
    private static final String REFUSED = "55000";

    private final UUID edgeNode;
    private final String name;
    private final String host;

    /**
     * @param name the cursor's name in {@code sink_cursors}, one per cluster ({@link PostgresSink.Settings#name})
     * @param host this machine's name, as the row records it ({@link PostgresSink#hostName()}); null for a writer
     *     that never claims the row (a replay), whose {@link #lockAt} would be refused
     */
    CursorRow(UUID edgeNode, String name, String host) {
        this.edgeNode = edgeNode;
        this.name = name;
        this.host = host;
    }

    /**
     * Claims this row for this host ({@link CursorClaim}) and returns its committed position.
     *
     * @param siblings the cursors of the edge's other sinks of this kind
     */
    long claim(Connection c, Set<String> siblings) throws SQLException {
        return CursorClaim.take(c, edgeNode, name, siblings, host);
    }

    /**
     * Locks the cursor and checks that this host claimed it last and that it is at {@code start}; and,
     * since the batch holds its write lock on {@code email_event_rows} by now (its COPY's, or
     * {@link BatchWriter}'s lock against retention), checks against the days retention has dropped as
     * committed now, not as the sink last read them: a retention run takes a lock that waits for this
     * transaction, or this batch's lock waited for the run's commit ({@link PartitionMaintainer#dropExpired}).
     *
     * @param oldestMicros the batch's oldest event, stored or only counted ({@link Long#MAX_VALUE}: none)
     * @throws SQLException SQLState 55000 when another host claimed the row since this one did: two edges
     *     share one node id, and this one stops writing rather than take turns with the other
     */
    void lockAt(Connection c, long start, long oldestMicros) throws SQLException, CursorMovedException {
        Long committed = null;
        String claimedBy = null;
        LocalDate dropped = null;
        try (PreparedStatement s = c.prepareStatement("SELECT position, host, (" + BatchWriter.DROPPED_THROUGH + ") FROM sink_cursors "
                + "WHERE edge_node = ? AND sink = ? FOR UPDATE")) {
            s.setObject(1, edgeNode);
            s.setString(2, name);
            try (ResultSet r = s.executeQuery()) {
                if (r.next()) {
                    committed = r.getLong(1);
                    claimedBy = r.getString(2);
                    dropped = r.getObject(3, LocalDate.class);
                }
            }
        }
        if (committed != null && (host == null || !host.equals(claimedBy))) {
            // Before the position: taken for a move of our own, a cursor the other host moved would send this one to
            // read its own journal from there, skipping what lies between, and the other would in turn skip this
            // batch's range. The claim that follows a reopen refuses this host while the other one writes.
            c.rollback();
            throw new SQLException("the " + name + " cursor of node " + edgeNode + " was claimed by host " + claimedBy
                    + " since " + host + " claimed it: two edges share one node id (a data folder copied with its"
                    + " journal's node-id file, e.g. a cloned VM image?), so " + host + " stops writing; give one of them a"
                    + " node id of its own (stop it, move its journal folder away, start it: a new journal gets a new id)", REFUSED);
        }
        if (committed == null || committed != start) {
            c.rollback();
            throw new CursorMovedException(start, committed == null ? 0 : committed);
        }
        RetentionCutoff.ensureNotDropped(dropped, oldestMicros);
    }

    /** Moves the cursor, locked by {@link #lockAt}, to {@code end}, counting {@code events} more, in this host's name. */
    void move(Connection c, long end, long events) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE sink_cursors SET position = ?, events = events + ?, host = ?, "
                + "updated_at = now() WHERE edge_node = ? AND sink = ?")) {
            s.setLong(1, end);
            s.setLong(2, events);
            s.setString(3, host);
            s.setObject(4, edgeNode);
            s.setString(5, name);
            s.executeUpdate();
        }
    }

    /**
     * Moves the cursor back from {@code from} to {@code to} (the journal lost the records between;
     * positions from {@code to} are new records), unless another process moved it meanwhile.
     */
    void rewind(Connection c, long from, long to) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE sink_cursors SET position = ?, updated_at = now()"
                + " WHERE edge_node = ? AND sink = ? AND position = ?")) {
            s.setLong(1, to);
            s.setObject(2, edgeNode);
            s.setString(3, name);
            s.setLong(4, from);
            if (s.executeUpdate() != 1) {
                throw new SQLException("the " + name + " cursor of edge " + edgeNode + " moved from " + from + " while it was rewound");
            }
        }
    }
}
