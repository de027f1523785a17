package io.trackedge.clusters;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.postgresql.PGConnection;

/**
 * Copies one tenant's rows of one table from a source cluster's transaction into a destination
 * cluster's, merged by the table's {@link MovedTable.Rule}: binary COPY out of the source piped into
 * a binary COPY into a temporary table in the destination, then one {@code INSERT ... SELECT}
 * with the rule's {@code ON CONFLICT}. Columns are read from the catalog, so a migration that adds
 * one needs nothing here; generated columns are left to the destination, and serial ids too (an id
 * of the source means nothing in the destination).
 */
final class TableCopy {

    private static final String STAGE = "tenant_move_stage";
    /** The source's client event ids the destination had taken already, in the destination's transaction. */
    private static final String RETRIED = "tenant_move_retried";
    /** An event whose client id the destination had not taken (ingest_event_ids holds the ids the ingest API took). */
    private static final String NOT_TAKEN = "NOT EXISTS (SELECT 1 FROM " + RETRIED + " r WHERE r.event_id = s.event_id)";

    /**
     * The source's rows of the warm-up events the destination had taken already (a client's retry
     * accepted in each cluster): not copied, but counted in both clusters' warm-up counters.
     */
    private static final String RETRIED_WARMUPS = "tenant_move_retried_warmups";
    /** From the staged events: a row the source stored is one its sink counted (an event counted only, for privacy, has none). */
    private static final String KEEP_RETRIED_WARMUPS = "INSERT INTO " + RETRIED_WARMUPS + " SELECT tenant_id, event_id, event_type::text,"
            + " occurred_at, context_id FROM " + STAGE + " s WHERE NOT " + NOT_TAKEN + " AND event_type IN ('warmup_open', 'warmup_reply')";
    /**
     * After the counters are summed: each such event the destination stored too (its own row, found
     * by time and id) was counted twice, and is taken off once from its mailbox's day. Only rows the
     * merge just wrote (keys of the staged rows), which the move holds already.
     */
    private static final String UNCOUNT_RETRIED_WARMUPS = "UPDATE warmup_daily_stats w SET opens_received = w.opens_received - r.opens,"
            + " replies_received = w.replies_received - r.replies FROM (SELECT r.tenant_id, c.mailbox_id,"
            + " (r.occurred_at AT TIME ZONE 'UTC')::date AS date, count(*) FILTER (WHERE r.event_type = 'warmup_open') AS opens,"
            + " count(*) FILTER (WHERE r.event_type = 'warmup_reply') AS replies FROM " + RETRIED_WARMUPS + " r"
            + " JOIN event_contexts c ON c.tenant_id = r.tenant_id AND c.context_id = r.context_id"
            + " WHERE EXISTS (SELECT 1 FROM email_event_rows e WHERE e.tenant_id = r.tenant_id AND e.occurred_at = r.occurred_at"
            + " AND e.event_id = r.event_id) GROUP BY 1, 2, 3) r, " + STAGE + " staged"
            + " WHERE w.tenant_id = r.tenant_id AND w.mailbox_id = r.mailbox_id AND w.date = r.date"
            + " AND staged.tenant_id = r.tenant_id AND staged.mailbox_id = r.mailbox_id AND staged.date = r.date";

    /** The pipe between the two COPYs: what the source sends while the destination is busy waits here. */
    private static final int PIPE_BYTES = 1 << 20;

    private final Connection source;
    private final Connection destination;

    TableCopy(Connection source, Connection destination) {
        this.source = source;
        this.destination = destination;
    }

    /** Makes the destination's scratch tables; before the first {@link #copy}. */
    void prepare() throws SQLException {
        try (Statement s = destination.createStatement()) {
            s.execute("CREATE TEMP TABLE " + RETRIED + " (event_id uuid PRIMARY KEY) ON COMMIT DROP");
            s.execute("CREATE TEMP TABLE " + RETRIED_WARMUPS + " (tenant_id uuid, event_id uuid, event_type text, occurred_at timestamptz,"
                    + " context_id bigint) ON COMMIT DROP");
        }
    }

    /** Copies {@code tenant}'s rows of {@code table}; returns how many the source had. */
    long copy(MovedTable table, UUID tenant) throws SQLException, IOException {
        List<String> columns = columns(table.name());
        String list = String.join(", ", columns);
        try (Statement s = destination.createStatement()) {
            s.execute("CREATE TEMP TABLE " + STAGE + " ON COMMIT DROP AS SELECT " + list + " FROM " + table.name() + " WITH NO DATA");
        }
        String query = "SELECT " + list + " FROM " + table.name() + " WHERE " + table.where(tenant);
        long out = stream("COPY (" + query + ") TO STDOUT (FORMAT binary)", "COPY " + STAGE + " (" + list + ") FROM STDIN (FORMAT binary)");
        try (Statement s = destination.createStatement()) {
            if (out == 0) {
                s.execute("DROP TABLE " + STAGE);
                return 0;
            }
            long retried = 0;
            if (table.rule() == MovedTable.Rule.EVENTS) {
                retried = count(s, "SELECT count(*) FROM " + STAGE + " s WHERE NOT " + NOT_TAKEN);
                s.executeUpdate(KEEP_RETRIED_WARMUPS);
            }
            int added = s.executeUpdate(merge(table, columns));
            if (table.rule() == MovedTable.Rule.EVENTS && added != out - retried) { // an edge number without its node would drop events
                throw new SQLException("copied " + out + " rows of " + table.name() + " (" + retried + " taken already) but added " + added);
            }
            if (table.rule() == MovedTable.Rule.WARMUP_COUNTERS) {
                s.executeUpdate(UNCOUNT_RETRIED_WARMUPS);
            }
            s.execute("DROP TABLE " + STAGE);
        }
        return out;
    }

    /**
     * The source's {@code copyOut} straight into the destination's {@code copyIn}, through a pipe: no
     * file holds the tenant's rows (a killed move left them in /tmp, out of reach of erasures, and a
     * large tenant could fill a RAM-backed /tmp). The source's side runs on a thread of its own.
     *
     * @return the rows the source sent
     */
    private long stream(String copyOut, String copyIn) throws SQLException, IOException {
        PipedInputStream in = new PipedInputStream(PIPE_BYTES);
        PipedOutputStream toPipe = new PipedOutputStream(in);
        AtomicBoolean sourceFailed = new AtomicBoolean();
        FutureTask<Long> sending = new FutureTask<>(() -> {
            try {
                return source.unwrap(PGConnection.class).getCopyAPI().copyOut(copyOut, toPipe);
            } catch (SQLException | IOException | RuntimeException e) {
                sourceFailed.set(true); // before the pipe closes: the destination's failure then is this one's
                throw e;
            } finally {
                toPipe.close(); // the destination's COPY sees the end
            }
        });
        Thread sender = new Thread(sending, "tenant-move-copy-out");
        sender.setDaemon(true);
        sender.start();
        Exception inFailed = null;
        boolean sourceFirst = false;
        try (InputStream i = in) { // closed on a failure here: the sender's next write fails and it stops
            destination.unwrap(PGConnection.class).getCopyAPI().copyIn(copyIn, i);
        } catch (SQLException | IOException e) {
            inFailed = e;
            sourceFirst = sourceFailed.get();
            if (!sourceFirst) {
                try {
                    // The source may be scanning for its next row: it would not notice the closed pipe until then.
                    source.unwrap(PGConnection.class).cancelQuery();
                } catch (SQLException cancel) {
                    e.addSuppressed(cancel);
                }
            }
        } finally {
            joinUninterruptibly(sender); // never return while the sender still uses the source's connection
        }
        Throwable outFailed;
        try {
            long sent = sending.get();
            if (inFailed != null) {
                throw inFailed;
            }
            return sent;
        } catch (ExecutionException e) {
            outFailed = e.getCause();
        } catch (SQLException | IOException e) {
            throw e;
        } catch (InterruptedException e) { // not reached: the sender has ended
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while copying");
        } catch (Exception e) {
            throw new IllegalStateException("copying into the destination failed", e);
        }
        // Both sides may have failed, one for the other's sake: the source's error is the cause when it came
        // first (the destination then read a cut stream); else the destination's (the source then wrote into
        // a closed pipe, or was cancelled).
        Throwable cause = inFailed == null || sourceFirst ? outFailed : inFailed;
        Throwable other = cause == outFailed ? inFailed : outFailed;
        if (other != null) {
            cause.addSuppressed(other);
        }
        if (cause instanceof SQLException q) {
            throw q;
        }
        if (cause instanceof IOException io) {
            throw io;
        }
        throw new IllegalStateException("copying between the clusters failed", cause);
    }

    private static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private String merge(MovedTable table, List<String> columns) throws SQLException {
        String list = String.join(", ", columns);
        String insert = "INSERT INTO " + table.name() + " (" + list + ") ";
        return switch (table.rule()) {
            case EVENTS -> insert + "SELECT " + columns.stream().map(c -> c.equals("edge_no") ? "m.to_no" : "s." + c)
                    .collect(Collectors.joining(", ")) + " FROM " + STAGE + " s JOIN " + EdgeNumbers.MAP + " m ON m.from_no = s.edge_no"
                    + " WHERE " + NOT_TAKEN;
            case DISTINCT, RECOUNTED -> insert + "SELECT " + list + " FROM " + STAGE + key(table.name(), columns).orderBy()
                    + " ON CONFLICT DO NOTHING";
            case CLIENT_IDS -> "WITH added AS (" + insert + "SELECT " + list + " FROM " + STAGE + key(table.name(), columns).orderBy()
                    + " ON CONFLICT DO NOTHING RETURNING event_id)"
                    + " INSERT INTO " + RETRIED + " SELECT s.event_id FROM " + STAGE + " s WHERE NOT EXISTS (SELECT 1 FROM added a"
                    + " WHERE a.event_id = s.event_id)";
            case EARLIEST -> {
                Key key = key(table.name(), columns);
                List<String> rest = columns.stream().filter(c -> !key.columns.contains(c)).toList();
                yield insert + "SELECT " + list + " FROM " + STAGE + key.orderBy() + " ON CONFLICT ON CONSTRAINT " + key.name
                        + " DO UPDATE SET (" + String.join(", ", rest) + ") = ROW(" + rest.stream().map(c -> "excluded." + c)
                        .collect(Collectors.joining(", ")) + ") WHERE excluded." + table.timeColumn() + " < "
                        + table.name() + "." + table.timeColumn();
            }
            case ADD, WARMUP_COUNTERS -> {
                Key key = key(table.name(), columns);
                List<String> counters = counters(table.name()).stream().filter(c -> !key.columns.contains(c)).toList();
                yield insert + "SELECT " + list + " FROM " + STAGE + key.orderBy() + " ON CONFLICT ON CONSTRAINT " + key.name + " DO UPDATE SET "
                        + counters.stream().map(c -> c + " = " + table.name() + "." + c + " + excluded." + c)
                        .collect(Collectors.joining(", "));
            }
            case STAYS, JOBS -> throw new IllegalArgumentException(table.name() + " is not moved");
        };
    }

    /** The columns a copy writes: not dropped, not generated, no serial or identity default. */
    private List<String> columns(String table) throws SQLException {
        return strings(destination, """
                SELECT a.attname FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' AND a.attidentity = ''
                  AND coalesce(pg_get_expr(d.adbin, d.adrelid), '') NOT LIKE 'nextval(%'
                ORDER BY a.attnum""", table);
    }

    private List<String> counters(String table) throws SQLException {
        return strings(destination, "SELECT attname FROM pg_attribute WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped"
                + " AND atttypid = 'int8'::regtype AND attgenerated = '' ORDER BY attnum", table);
    }

    private record Key(String name, List<String> columns) {
        /**
         * The sinks write each table's shared keys (dictionaries, client ids, first touches, counters)
         * in key order; so does the move, so that it and a sink of the destination writing the same
         * tenant's keys wait on each other rather than deadlock. A key column of type text sorts by
         * its own collation ("C"), as the sinks' sorts do.
         */
        String orderBy() {
            return " ORDER BY " + String.join(", ", columns);
        }
    }

    /**
     * The primary key, else the first unique constraint, whose columns are all copied: what ON
     * CONFLICT merges on, and the order rows go in ({@code bad_events}' serial primary key is not
     * copied; its unique key is).
     */
    private Key key(String table, List<String> copied) throws SQLException {
        try (PreparedStatement s = destination.prepareStatement("""
                SELECT c.conname, array_agg(a.attname::text ORDER BY array_position(c.conkey, a.attnum)) FROM pg_constraint c
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
                WHERE c.conrelid = ?::regclass AND c.contype IN ('p', 'u') GROUP BY c.conname, c.contype ORDER BY c.contype, c.conname""")) {
            s.setString(1, table);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    List<String> columns = List.of((String[]) r.getArray(2).getArray());
                    if (copied.containsAll(columns)) {
                        return new Key(r.getString(1), columns);
                    }
                }
                throw new SQLException(table + " has no primary or unique key of copied columns to merge on");
            }
        }
    }

    private static long count(Statement s, String sql) throws SQLException {
        try (ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    static List<String> strings(Connection c, String sql, String arg) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, arg);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(r.getString(1));
                }
            }
        }
        return out;
    }
}
