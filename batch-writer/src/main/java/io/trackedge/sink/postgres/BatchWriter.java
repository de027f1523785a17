package io.trackedge.sink.postgres;

import static org.jooq.impl.DSL.excluded;
import static org.jooq.impl.DSL.field;
import static org.jooq.impl.DSL.name;
import static org.jooq.impl.DSL.table;
import static org.jooq.impl.DSL.val;

import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.InsertOnDuplicateSetMoreStep;
import org.jooq.InsertValuesStepN;
import org.jooq.Record;
import org.jooq.SQLDialect;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Writes one batch in one transaction: lock and check the cursor, drop events whose client-chosen
 * id was written before ({@link ClientIds}), binary COPY into {@code email_events}, first opens and
 * clicks with {@code ON CONFLICT DO NOTHING RETURNING}, bounces, replies and warm-up rows
 * ({@link IngestRows}), one {@code daily_analytics} upsert per key, and the new cursor. Either all
 * of it commits or none.
 */
final class BatchWriter {

    static final String SINK = "postgres";
    private static final Table<Record> DAILY = table(name("daily_analytics"));

    private final UUID edgeNode;
    private final BinaryCopyEncoder copy = new BinaryCopyEncoder();
    private final DailyFold fold = new DailyFold();
    private final IngestRows ingestRows = new IngestRows();

    BatchWriter(UUID edgeNode) {
        this.edgeNode = edgeNode;
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

    /** @return how many events were written to {@code email_events} (fewer than the batch when client ids repeat) */
    int write(Connection c, List<EventRecord> batch, long start, long end) throws SQLException, CursorMovedException {
        c.setAutoCommit(false);
        try {
            DSLContext sql = DSL.using(c, SQLDialect.POSTGRES);
            Long committed = sql.resultQuery("SELECT position FROM sink_cursors WHERE edge_node = {0} AND sink = {1} FOR UPDATE",
                    val(edgeNode), val(SINK)).fetchOne(0, Long.class);
            if (committed == null || committed != start) {
                c.rollback();
                throw new CursorMovedException(start, committed == null ? 0 : committed);
            }
            List<EventRecord> rows = ClientIds.keepNew(sql, batch);
            if (!rows.isEmpty()) {
                copyEvents(c, rows);
            }
            fold.clear();
            for (EventRecord e : rows) {
                fold.add(e);
            }
            firstTouch(sql, rows, EventType.OPEN, DailyCounter.OPENS_UNIQUE);
            firstTouch(sql, rows, EventType.CLICK, DailyCounter.CLICKS_UNIQUE);
            ingestRows.write(sql, rows);
            upsertDaily(sql);
            sql.query("UPDATE sink_cursors SET position = {0}, events = events + {1}, updated_at = now() "
                    + "WHERE edge_node = {2} AND sink = {3}", val(end), val((long) batch.size()), val(edgeNode), val(SINK)).execute();
            c.commit();
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

    /** Inserts the batch's first event per email of {@code type}; every inserted row bumps {@code unique}. */
    private void firstTouch(DSLContext sql, List<EventRecord> batch, EventType type, DailyCounter unique) {
        List<EventRecord> firsts = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (EventRecord e : batch) {
            if (e.type() == type && seen.add(e.fields().tenant() + "/" + e.fields().email())) {
                firsts.add(e);
            }
        }
        if (firsts.isEmpty()) {
            return;
        }
        int n = firsts.size();
        UUID[] tenant = new UUID[n];
        String[] email = new String[n];
        UUID[] user = new UUID[n];
        String[] campaign = new String[n];
        String[] mailbox = new String[n];
        String[] lead = new String[n];
        String[] step = new String[n];
        UUID[] eventId = new UUID[n];
        OffsetDateTime[] at = new OffsetDateTime[n];
        String[] ip = new String[n];
        String[] ua = new String[n];
        Boolean[] machine = new Boolean[n];
        String[] url = new String[n];
        for (int i = 0; i < n; i++) {
            EventRecord e = firsts.get(i);
            var f = e.fields();
            tenant[i] = f.tenant();
            email[i] = f.email();
            user[i] = f.user();
            campaign[i] = f.campaign();
            mailbox[i] = f.mailbox();
            lead[i] = f.lead();
            step[i] = f.step();
            eventId[i] = e.id();
            at[i] = OffsetDateTime.ofInstant(Instant.EPOCH.plusNanos(e.occurredAtMicros() * 1000), ZoneOffset.UTC);
            ip[i] = ipText(e.ip());
            ua[i] = e.userAgent() == null || e.userAgent().isEmpty() ? null : e.userAgent();
            machine[i] = Classification.isMachine(e);
            url[i] = e.url() == null ? "" : e.url();
        }
        String insert = type == EventType.OPEN
                ? "INSERT INTO email_opens (tenant_id, email_id, user_id, campaign_id, mailbox_id, lead_id, step_id, "
                    + "event_id, opened_at, ip_address, user_agent, is_machine) "
                    + "SELECT t, e, u, c, m, l, s, id, at, ip::inet, ua, mach FROM unnest({0}, {1}, {2}, {3}, {4}, {5}, {6}, "
                    + "{7}, {8}, {9}, {10}, {11}) AS x(t, e, u, c, m, l, s, id, at, ip, ua, mach) "
                    + "ON CONFLICT DO NOTHING RETURNING tenant_id, user_id, campaign_id, mailbox_id, opened_at"
                : "INSERT INTO email_clicks (tenant_id, email_id, user_id, campaign_id, mailbox_id, lead_id, step_id, "
                    + "event_id, clicked_at, ip_address, user_agent, is_machine, clicked_url) "
                    + "SELECT t, e, u, c, m, l, s, id, at, ip::inet, ua, mach, url FROM unnest({0}, {1}, {2}, {3}, {4}, {5}, {6}, "
                    + "{7}, {8}, {9}, {10}, {11}, {12}) AS x(t, e, u, c, m, l, s, id, at, ip, ua, mach, url) "
                    + "ON CONFLICT DO NOTHING RETURNING tenant_id, user_id, campaign_id, mailbox_id, clicked_at";
        var inserted = sql.resultQuery(insert,
                val(tenant, SQLDataType.UUID.array()), val(email, SQLDataType.CLOB.array()),
                val(user, SQLDataType.UUID.array()), val(campaign, SQLDataType.CLOB.array()),
                val(mailbox, SQLDataType.CLOB.array()), val(lead, SQLDataType.CLOB.array()),
                val(step, SQLDataType.CLOB.array()), val(eventId, SQLDataType.UUID.array()),
                val(at, SQLDataType.TIMESTAMPWITHTIMEZONE.array()), val(ip, SQLDataType.CLOB.array()),
                val(ua, SQLDataType.CLOB.array()), val(machine, SQLDataType.BOOLEAN.array()),
                val(url, SQLDataType.CLOB.array())).fetch();
        for (Record r : inserted) {
            LocalDate d = DailyFold.utcDate(r.get(4, OffsetDateTime.class));
            fold.add(r.get(0, UUID.class), r.get(1, UUID.class), r.get(2, String.class), r.get(3, String.class), d, unique, 1);
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

    private static String ipText(byte[] ip) {
        if (ip == null || ip.length == 0) {
            return null;
        }
        try {
            return InetAddress.getByAddress(ip).getHostAddress();
        } catch (UnknownHostException e) {
            return null; // only thrown for a wrong length, which the journal codec rules out
        }
    }
}
