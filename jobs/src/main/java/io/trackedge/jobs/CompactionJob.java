package io.trackedge.jobs;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code compact_events} job: rebuilds the indexes of a closed day's {@code email_event_rows}
 * partition, packed. While a day is written, every tenant's new keys land in the middle of the
 * partition's {@code (tenant_id, email_id)} index, whose leaves then split part full (30.8 bytes a row
 * where the rebuilt index takes 23.5 in {@code StorageCost 300000}; the primary key, which took 91
 * against 59, went in V25); a closed
 * day takes few writes more, so the rebuilt indexes stay packed for as long as the partition is kept. Scheduled daily, for the day that just closed; for a longer period, each of
 * its days. Re-running it is harmless, and a day without a partition (dropped by retention) is skipped.
 *
 * <p>It uses {@code REINDEX TABLE CONCURRENTLY}, so reads and the sink's late writes to that day go on
 * while it runs, and that cannot run inside a transaction: it runs on a connection of its own, before
 * the job's transaction has done anything (a snapshot held there would make the rebuild wait for it).
 * An interrupted rebuild leaves an invalid index named {@code *_ccnew*}; those of the partition are
 * dropped first, as PostgreSQL's documentation says to.
 */
public final class CompactionJob implements RollUp {

    public static final String TYPE = "compact_events";

    private static final Logger log = LoggerFactory.getLogger(CompactionJob.class);
    private static final DateTimeFormatter PARTITION_DAY = DateTimeFormatter.ofPattern("yyyyMMdd");

    private final DataSource ds;

    /** @param ds the database whose partitions it compacts (the job's own): a connection outside the job's transaction */
    public CompactionJob(DataSource ds) {
        this.ds = java.util.Objects.requireNonNull(ds, "ds");
    }

    @Override
    public String jobType() {
        return TYPE;
    }

    @Override
    public boolean countsEvents() {
        return false;
    }

    @Override
    public void run(Connection c, Period period, UUID tenantOrNull) throws SQLException {
        if (tenantOrNull != null) {
            throw new IllegalArgumentException("compaction rebuilds partitions shared by every tenant; enqueue it without a tenant");
        }
        for (LocalDate d = period.startDate(); !d.isAfter(period.lastDate()); d = d.plusDays(1)) {
            compact("email_events_" + d.format(PARTITION_DAY), c.getNetworkTimeout());
        }
    }

    /** @param networkTimeoutMillis the job's connection's: a day's rebuild may wait on the server as long as a roll-up */
    private void compact(String partition, int networkTimeoutMillis) throws SQLException {
        try (Connection own = ds.getConnection(); Statement s = own.createStatement()) {
            own.setNetworkTimeout(Runnable::run, networkTimeoutMillis);
            own.setAutoCommit(true);
            if (indexBytes(own, partition) < 0) {
                log.info("{}: no such partition (not made yet, or dropped by retention); nothing to compact", partition);
                return;
            }
            for (String leftover : invalidRebuilds(own, partition)) {
                s.execute("DROP INDEX CONCURRENTLY IF EXISTS " + leftover);
                log.warn("{}: dropped {}, left invalid by an interrupted rebuild", partition, leftover);
            }
            long before = indexBytes(own, partition);
            s.execute("REINDEX TABLE CONCURRENTLY " + partition);
            log.info("{}: indexes rebuilt, {} MB -> {} MB", partition, before >> 20, indexBytes(own, partition) >> 20);
        }
    }

    /** The partition's index bytes, or -1 when there is no such partition of email_event_rows. */
    private static long indexBytes(Connection c, String partition) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT pg_indexes_size(i.inhrelid) FROM pg_inherits i"
                + " JOIN pg_class t ON t.oid = i.inhrelid WHERE i.inhparent = 'email_event_rows'::regclass AND t.relname = ?")) {
            p.setString(1, partition);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? r.getLong(1) : -1;
            }
        }
    }

    private static List<String> invalidRebuilds(Connection c, String partition) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("SELECT x.indexrelid::regclass::text FROM pg_index x JOIN pg_class t"
                + " ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid"
                + " WHERE t.relname = ? AND NOT x.indisvalid AND i.relname LIKE '%\\_ccnew%'")) {
            p.setString(1, partition);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(r.getString(1));
                }
            }
        }
        return out;
    }
}
