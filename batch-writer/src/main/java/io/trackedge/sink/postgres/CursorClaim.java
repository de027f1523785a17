package io.trackedge.sink.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Which row of {@code sink_cursors} a Postgres sink of one edge moves in the database it writes to:
 * its own, named after the sink ({@code postgres}, or {@code postgres_<cluster>} for each of the edge's
 * clusters), claimed on each connect under a lock of the edge's rows.
 * <ul>
 *   <li>A database that holds the cursor of another of the edge's clusters is that cluster's: two
 *   cluster names reach it (two spellings of its address). The sink refuses to write there, so that
 *   no cluster's tenants go where the rest of the deployment does not look for them; its events wait
 *   in the journal. The name that claimed the database first keeps it, across restarts.</li>
 *   <li>A sink without a row takes over the one cursor of this edge's sinks the database holds under
 *   a name no longer configured ({@code postgres} before V39 or before clusters were listed, a
 *   cluster renamed, clusters given up), so that a change of name never writes the journal again
 *   ({@code taken_over_from} says whose it was); with two such rows, or one beside its own, it cannot
 *   tell which holds its progress, and refuses.</li>
 *   <li>Else it starts at the journal's beginning.</li>
 *   <li>A row another host moved within {@link #ANOTHER_HOST_QUIET} is refused: two live edges share one node
 *   id (a copied data folder), and would leapfrog one cursor.</li>
 * </ul>
 * A claim writes this host's name into the row; from then on a batch of the host that claimed it before is
 * refused ({@link CursorRow#lockAt}), however long both were quiet before this claim.
 */
final class CursorClaim {

    /** The rows of this kind of sink: {@code postgres} and {@code postgres_<cluster>}. */
    private static final String ROWS = "(sink = '" + BatchWriter.SINK + "' OR starts_with(sink, '" + BatchWriter.SINK + "_'))";
    /** {@code object_not_in_prerequisite_state}: the database is not this sink's to write to as it stands. */
    private static final String REFUSED = "55000";

    private CursorClaim() {
    }

    /**
     * @param cursor this sink's name
     * @param siblings the names of the edge's other sinks of this kind
     * @return the committed position of this sink's cursor
     * @throws SQLException also when the database is another sink's, or its rows are ambiguous (SQLState 55000)
     */
    static long take(Connection c, UUID node, String cursor, Set<String> siblings, String host) throws SQLException {
        c.setAutoCommit(false);
        try {
            // Two sinks of this edge reaching one database at once: the second sees the first's row.
            try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext('sink_cursors'), hashtext(?::text))")) {
                s.setObject(1, node);
                s.execute();
            }
            TreeMap<String, Row> rows = rows(c, node);
            List<String> taken = rows.keySet().stream().filter(siblings::contains).toList();
            if (!taken.isEmpty()) {
                throw new SQLException(siblingsRow(node, cursor, taken.get(0), rows.get(taken.get(0))), REFUSED);
            }
            List<String> others = rows.keySet().stream().filter(n -> !n.equals(cursor)).toList();
            Row own = rows.get(cursor);
            if ((own != null && !others.isEmpty()) || others.size() > 1) {
                // A row no configured cluster names beside this sink's own (an older release run again meanwhile), or two
                // such rows: which holds this sink's progress is not known, and a wrong guess writes events twice or never.
                throw new SQLException("this database holds this edge's cursors " + rows.keySet() + ": which is " + cursor
                        + "'s is not known, so it does not write; delete the rows that are not (DELETE FROM sink_cursors WHERE"
                        + " edge_node = '" + node + "' AND sink = '...'), renaming the one that is to " + cursor
                        + " (UPDATE sink_cursors SET sink = '" + cursor + "' WHERE edge_node = '" + node + "' AND sink = '...')",
                        REFUSED);
            }
            if (own != null && own.host() != null && host != null && !own.host().equals(host) && own.movedLately()) {
                // Two live edges of one node id (a data folder copied with its journal's node-id, as a cloned VM
                // image does) would leapfrog one cursor, each reading its own journal from the other's position.
                throw new SQLException("the " + cursor + " cursor of node " + node + " was moved by host " + own.host()
                        + " within the last " + ANOTHER_HOST_QUIET + ": two edges share one node id (a data folder copied"
                        + " with its journal's node-id file, e.g. a cloned VM image?), so " + host + " does not write; give"
                        + " this one a node id of its own (stop it, move its journal folder away, start it: a new journal gets"
                        + " a new id), or, if " + host + " is that host renamed, wait " + ANOTHER_HOST_QUIET, REFUSED);
            }
            long position = own != null ? own.position()
                    : others.isEmpty() ? insert(c, node, cursor, host) : rename(c, node, others.get(0), cursor, rows.get(others.get(0)));
            claimHost(c, node, cursor, host);
            c.commit();
            return position;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    /**
     * Why a database holding {@code sibling}'s row is refused, and what to do when it is this sink's: a row
     * the sibling made is its own progress (delete it, and this sink writes the journal from its beginning);
     * one it took over carries the progress of the row before it, maybe this sink's (rename it instead).
     */
    private static String siblingsRow(UUID node, String cursor, String sibling, Row row) {
        String other = clusterOf(sibling);
        String mine = clusterOf(cursor);
        String what = row.takenOverFrom() == null
                ? "if this database is " + mine + "'s, " + other + "'s events here were written by mistake: delete its row"
                        + " (DELETE FROM sink_cursors WHERE edge_node = '" + node + "' AND sink = '" + sibling + "') and " + cursor
                        + " writes the journal's events from its beginning"
                : "if this database is " + mine + "'s, the row carries the position of the cursor " + row.takenOverFrom()
                        + " it took over, which " + cursor + " moved too: rename it (UPDATE sink_cursors SET sink = '" + cursor
                        + "', taken_over_from = NULL WHERE edge_node = '" + node + "' AND sink = '" + sibling + "'), and " + other
                        + "'s events written here since are in the wrong database";
        return "this database holds this edge's cursor of cluster " + other + " (sink_cursors row " + sibling + "): clusters "
                + other + " and " + mine + " of edge.database.clusters reach one database, or did, so " + cursor
                + " does not write to it; its events wait in the journal. Give each cluster a database of its own; " + what;
    }

    /** @param movedLately it was moved (or claimed) within {@link #ANOTHER_HOST_QUIET} */
    private record Row(long position, String takenOverFrom, String host, boolean movedLately) {
    }

    /**
     * How long a cursor another host moved last is refused to this one: two live edges of one node id move it every
     * batch, and a host renamed and restarted waits this long at most.
     */
    static final String ANOTHER_HOST_QUIET = "2 minutes";

    private static TreeMap<String, Row> rows(Connection c, UUID node) throws SQLException {
        TreeMap<String, Row> out = new TreeMap<>();
        try (PreparedStatement s = c.prepareStatement("SELECT sink, position, taken_over_from, host, updated_at > now() - interval '"
                + ANOTHER_HOST_QUIET + "' FROM sink_cursors WHERE edge_node = ? AND " + ROWS)) {
            s.setObject(1, node);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.put(r.getString(1), new Row(r.getLong(2), r.getString(3), r.getString(4), r.getBoolean(5)));
                }
            }
        }
        return out;
    }

    /** The row names the host that claimed it last, and a claim counts as a move of it. */
    private static void claimHost(Connection c, UUID node, String cursor, String host) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE sink_cursors SET host = ?, updated_at = now() WHERE edge_node = ? AND sink = ?")) {
            s.setString(1, host);
            s.setObject(2, node);
            s.setString(3, cursor);
            s.executeUpdate();
        }
    }

    private static long insert(Connection c, UUID node, String cursor, String host) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO sink_cursors (edge_node, sink, position, host) VALUES (?, ?, 0, ?)")) {
            s.setObject(1, node);
            s.setString(2, cursor);
            s.setString(3, host);
            s.executeUpdate();
        }
        return 0;
    }

    private static long rename(Connection c, UUID node, String from, String to, Row row) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE sink_cursors SET sink = ?, taken_over_from = ? WHERE edge_node = ? AND sink = ?")) {
            s.setString(1, to);
            s.setString(2, from);
            s.setObject(3, node);
            s.setString(4, from);
            s.executeUpdate();
        }
        return row.position();
    }

    /** {@code b} of {@code postgres_b}; the name itself otherwise. */
    private static String clusterOf(String sink) {
        return sink.startsWith(BatchWriter.SINK + "_") ? sink.substring(BatchWriter.SINK.length() + 1) : sink;
    }
}
