package io.trackedge.sink.postgres;

import static org.jooq.impl.DSL.excluded;
import static org.jooq.impl.DSL.field;
import static org.jooq.impl.DSL.name;
import static org.jooq.impl.DSL.table;
import static org.jooq.impl.DSL.val;

import io.trackedge.journal.EventRecord;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.InsertOnDuplicateSetMoreStep;
import org.jooq.InsertValuesStepN;
import org.jooq.Record;
import org.jooq.SQLDialect;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Writes one batch in one transaction: drop events whose client-chosen id was written before
 * ({@link ClientIds}), binary COPY into {@code email_events}, lock and check the cursor, first opens
 * and clicks ({@link FirstTouch}), bounces, replies and warm-up rows ({@link IngestRows}), one
 * {@code daily_analytics} upsert per key, and the new cursor. Either all of it commits or none.
 */
final class BatchWriter {

    static final String SINK = "postgres";
    private static final Table<Record> DAILY = table(name("daily_analytics"));

    private final UUID edgeNode;
    private final BinaryCopyEncoder copy = new BinaryCopyEncoder();
    private final DailyFold fold = new DailyFold();
    private final FirstTouch firstTouch;
    private final IngestRows ingestRows = new IngestRows();

    /** @param known first touches committed before; shared by the writers of one pipeline */
    BatchWriter(UUID edgeNode, KnownFirstTouches known) {
        this.edgeNode = edgeNode;
        this.firstTouch = new FirstTouch(known);
    }

    /** Makes sure this node's cursor row exists and returns its committed position. */
    long initCursor(Connection c, String host) throws SQLException {
        c.setAutoCommit(true);
        DSLContext sql = DSL.using(c, SQLDialect.POSTGRES);
        sql.query("INSERT INTO sink_cursors (edge_node, sink, position, host) VALUES ({0}, {1}, 0, {2}) ON CONFLICT DO NOTHING",
                val(edgeNode), val(SINK), val(host)).execute();
        return sql.resultQuery("SELECT position FROM sink_cursors WHERE edge_node = {0} AND sink = {1}",
                val(edgeNode), val(SINK)).fetchSingle(0, Long.class);
    }

    /**
     * Writes the batch {@code [start, end)} and commits it with the new cursor.
     *
     * @param predecessor waited for after the COPY and before the cursor is locked: the previous
     *     batch's commit (so two batches overlap their COPY and their tail, but commit in order);
     *     it throws when that batch failed, and then this one rolls back too
     * @return how many events were written to {@code email_events} (fewer than the batch when client ids repeat)
     */
    int write(Connection c, List<EventRecord> batch, long start, long end, Runnable predecessor)
            throws SQLException, CursorMovedException {
        c.setAutoCommit(false);
        try {
            DSLContext sql = DSL.using(c, SQLDialect.POSTGRES);
            // A client id the previous batch (still in flight) also wrote makes this insert wait for
            // that batch's commit, and then it counts as seen: the predecessor never waits on us.
            List<EventRecord> rows = ClientIds.keepNew(sql, batch);
            // Rows copied before the cursor check are harmless: a failed check rolls them back.
            if (!rows.isEmpty()) {
                copyEvents(c, rows);
            }
            predecessor.run();
            Long committed = sql.resultQuery("SELECT position FROM sink_cursors WHERE edge_node = {0} AND sink = {1} FOR UPDATE",
                    val(edgeNode), val(SINK)).fetchOne(0, Long.class);
            if (committed == null || committed != start) {
                c.rollback();
                throw new CursorMovedException(start, committed == null ? 0 : committed);
            }
            fold.clear();
            for (EventRecord e : rows) {
                fold.add(e);
            }
            firstTouch.apply(c, sql, rows, fold);
            ingestRows.write(sql, rows);
            upsertDaily(sql);
            sql.query("UPDATE sink_cursors SET position = {0}, events = events + {1}, updated_at = now() "
                    + "WHERE edge_node = {2} AND sink = {3}", val(end), val((long) batch.size()), val(edgeNode), val(SINK)).execute();
            c.commit();
            firstTouch.committed();
            return rows.size();
        } catch (SQLException | RuntimeException e) {
            try {
                c.rollback();
            } catch (SQLException rollback) {
                e.addSuppressed(rollback);
            }
            throw e;
        }
    }

    private void copyEvents(Connection c, List<EventRecord> batch) throws SQLException {
        copy.reset();
        copy.header();
        for (EventRecord e : batch) {
            copy.row(e, edgeNode);
        }
        copy.trailer();
        CopyIn in = c.unwrap(PGConnection.class).getCopyAPI()
                .copyIn("COPY email_events (" + BinaryCopyEncoder.COLUMNS + ") FROM STDIN (FORMAT binary)");
        try {
            in.writeToCopy(copy.buffer(), 0, copy.size());
            in.endCopy();
        } finally {
            if (in.isActive()) {
                in.cancelCopy();
            }
        }
    }

    private void upsertDaily(DSLContext sql) {
        Map<DailyFold.Key, long[]> rows = fold.rows();
        if (rows.isEmpty()) {
            return;
        }
        DailyCounter[] counters = DailyCounter.values();
        List<Field<?>> columns = new ArrayList<>();
        columns.add(field(name("tenant_id"), UUID.class));
        columns.add(field(name("user_id"), UUID.class));
        columns.add(field(name("campaign_id"), String.class));
        columns.add(field(name("mailbox_id"), String.class));
        columns.add(field(name("date"), LocalDate.class));
        for (DailyCounter c : counters) {
            columns.add(field(name(c.column), Long.class));
        }
        InsertValuesStepN<Record> insert = sql.insertInto(DAILY, columns);
        for (Map.Entry<DailyFold.Key, long[]> row : rows.entrySet()) {
            DailyFold.Key k = row.getKey();
            List<Object> values = new ArrayList<>(columns.size());
            values.add(k.tenant());
            values.add(k.user());
            values.add(k.campaign());
            values.add(k.mailbox());
            values.add(k.date());
            for (long v : row.getValue()) {
                values.add(v);
            }
            insert = insert.values(values);
        }
        InsertOnDuplicateSetMoreStep<Record> update = insert.onConflictOnConstraint(name("daily_analytics_key"))
                .doUpdate().set(field(name("updated_at"), OffsetDateTime.class), DSL.currentOffsetDateTime());
        for (DailyCounter c : counters) {
            Field<Long> existing = field(name("daily_analytics", c.column), Long.class);
            update = update.set(field(name(c.column), Long.class), existing.plus(excluded(field(name(c.column), Long.class))));
        }
        update.execute();
    }
}
