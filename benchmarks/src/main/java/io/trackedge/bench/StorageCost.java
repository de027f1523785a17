package io.trackedge.bench;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.jobs.CompactionJob;
import io.trackedge.jobs.Period;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Locale;

/**
 * What a million events cost on disk in PostgreSQL (issue 15), through the real sink:
 *
 * <pre>
 *   SinkVsPsqlCopy's journal (70 % opens, 30 % clicks, 5 % HEAD) ──PostgresSink──▶ fresh database
 *   then per table (partitions summed into their parent): heap + TOAST, each index, total;
 *   and the WAL written while the sink ran (pg_current_wal_lsn before and after);
 *   then the same at rest: after the compact_events job has rebuilt each day's indexes
 * </pre>
 *
 * Bytes are scaled to a million events. The WAL figure is cluster-wide: on a PostgreSQL that other
 * sessions write to at the same time it includes their WAL too, so measure it on a quiet cluster.
 * Prints a table and a JSON line.
 *
 * <pre>java -cp benchmarks.jar io.trackedge.bench.StorageCost [events=1000000]</pre>
 * Environment: BENCH_PG_HOST / BENCH_PG_PORT (default 127.0.0.1:5432), BENCH_KEEP_DB=1 keeps the database.
 */
public final class StorageCost {

    /** Tables with their partitions folded in; indexes under their table, partition indexes folded into the parent's. */
    private static final String SIZES = """
            WITH rel AS (
                SELECT coalesce(pg_partition_root(c.oid), c.oid) AS tbl, c.oid
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind = 'r' AND n.nspname = 'public'),
            idx AS (
                SELECT r.tbl, coalesce(pg_partition_root(i.indexrelid), i.indexrelid) AS index, i.indexrelid
                FROM rel r JOIN pg_index i ON i.indrelid = r.oid),
            tbl AS (
                SELECT r.tbl, sum(pg_table_size(r.oid)) AS heap, sum(pg_indexes_size(r.oid)) AS indexes,
                       sum(pg_total_relation_size(r.oid)) AS total
                FROM rel r GROUP BY r.tbl)
            SELECT t.tbl::regclass::text AS name, '' AS index, t.heap, t.indexes, t.total
            FROM tbl t WHERE t.total >= %1$d
            UNION ALL
            SELECT x.tbl::regclass::text, x.index::regclass::text, NULL, sum(pg_relation_size(x.indexrelid)), NULL
            FROM idx x JOIN tbl t ON t.tbl = x.tbl WHERE t.total >= %1$d GROUP BY x.tbl, x.index
            UNION ALL
            SELECT '~ the other ' || count(*) || ' tables and their indexes', '', sum(heap), sum(indexes), sum(total)
            FROM tbl WHERE total < %1$d
            ORDER BY 1, 2""";
    /** Tables smaller than this (empty ones, the schema's bookkeeping) are printed as one line. */
    private static final int SMALL = 1 << 20;

    private StorageCost() {
    }

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        BenchDatabase scratch = BenchDatabase.create("trackedge_storage_");
        String url = scratch.url();
        Path work = Files.createTempDirectory("storage-cost-");
        try (Database db = new Database(new PostgresConnectionInfo(url, "postgres", null), 2);
             Connection c = DriverManager.getConnection(url, "postgres", null); Statement s = c.createStatement()) {
            db.migrate();
            String version = one(s, "SELECT version FROM flyway_schema_history WHERE success AND version IS NOT NULL"
                    + " ORDER BY installed_rank DESC LIMIT 1");
            Path journal = work.resolve("journal");
            long end = SinkVsPsqlCopy.writeJournal(journal, events);
            s.execute("CHECKPOINT"); // the migrations' WAL and dirty pages are not the sink's
            String lsn0 = one(s, "SELECT pg_current_wal_lsn()");
            double rate = SinkRun.eventsPerSecond(db, journal, end, events, Duration.ofMinutes(30));
            long wal = Long.parseLong(one(s, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '" + lsn0 + "')::bigint"));
            long rows = Long.parseLong(one(s, "SELECT count(*) FROM email_event_rows"));
            print(s, events, version, rate, wal, rows);
            atRest(db, c, s, events);
        } finally {
            if (!"1".equals(System.getenv("BENCH_KEEP_DB"))) {
                scratch.drop();
            }
        }
    }

    private static void print(Statement s, int events, String version, double rate, long wal, long rows) throws Exception {
        double scale = 1e6 / events;
        System.out.printf(Locale.ROOT, "%nschema V%s, %d events through the sink (%.0f rows/s), email_event_rows rows %d%n",
                version, events, rate, rows);
        System.out.printf(Locale.ROOT, "%-44s %14s %14s %14s %9s%n", "table / index (MB per million events)", "heap+toast",
                "indexes", "total", "B/event");
        long all = 0;
        StringBuilder json = new StringBuilder();
        try (ResultSet r = s.executeQuery(SIZES.formatted(SMALL))) {
            while (r.next()) {
                boolean index = !r.getString(2).isEmpty();
                long total = r.getLong(5);
                all += total;
                if (index) {
                    System.out.printf(Locale.ROOT, "  %-42s %14s %14.1f %14s %9.1f%n", r.getString(2), "",
                            mb(r.getLong(4) * scale), "", r.getLong(4) / (double) events);
                } else {
                    System.out.printf(Locale.ROOT, "%-44s %14.1f %14.1f %14.1f %9.1f%n", r.getString(1), mb(r.getLong(3) * scale),
                            mb(r.getLong(4) * scale), mb(total * scale), total / (double) events);
                }
                json.append(json.isEmpty() ? "" : ",").append('"').append(index ? r.getString(2) : r.getString(1))
                        .append("\":").append(index ? r.getLong(4) : total);
            }
        }
        System.out.printf(Locale.ROOT, "%-44s %14s %14s %14.1f %9.1f%n", "all tables", "", "", mb(all * scale), all / (double) events);
        System.out.printf(Locale.ROOT, "WAL while the sink ran: %.1f MB per million events, %.0f bytes per event (cluster-wide)%n",
                mb(wal * scale), wal / (double) events);
        System.out.printf(Locale.ROOT, "{\"benchmark\":\"storage_cost\",\"schema\":\"%s\",\"events\":%d,\"rows_per_s\":%.0f,"
                + "\"all_bytes\":%d,\"wal_bytes\":%d,\"bytes\":{%s}}%n", version, events, rate, all, wal, json);
    }

    /** What the tables hold once each day's partition has been compacted, as the daily job leaves it. */
    private static void atRest(Database db, Connection c, Statement s, int events) throws Exception {
        CompactionJob compaction = new CompactionJob(db.dataSource());
        try (ResultSet r = s.executeQuery("SELECT DISTINCT (occurred_at AT TIME ZONE 'UTC')::date FROM email_event_rows ORDER BY 1")) {
            while (r.next()) {
                compaction.run(c, Period.dayOf(r.getObject(1, LocalDate.class)), null);
            }
        }
        long all = Long.parseLong(one(s, "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n"
                + " ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = 'public'"));
        long eventsTotal = Long.parseLong(one(s, "SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits"
                + " WHERE inhparent = 'email_event_rows'::regclass"));
        long indexes = Long.parseLong(one(s, "SELECT sum(pg_indexes_size(inhrelid)) FROM pg_inherits"
                + " WHERE inhparent = 'email_event_rows'::regclass"));
        double scale = 1e6 / events;
        System.out.printf(Locale.ROOT, "at rest, after compact_events: email_event_rows %.1f MB per million events (its indexes %.1f),"
                + " all tables %.1f%n", mb(eventsTotal * scale), mb(indexes * scale), mb(all * scale));
        StringBuilder json = new StringBuilder();
        try (ResultSet r = s.executeQuery("SELECT pg_partition_root(i.indexrelid)::regclass::text, sum(pg_relation_size(i.indexrelid))"
                + " FROM pg_inherits h JOIN pg_index i ON i.indrelid = h.inhrelid WHERE h.inhparent = 'email_event_rows'::regclass"
                + " GROUP BY 1 ORDER BY 1")) {
            while (r.next()) {
                System.out.printf(Locale.ROOT, "  %-42s %14.1f MB per million events, %.1f B/event%n", r.getString(1),
                        mb(r.getLong(2) * scale), r.getLong(2) / (double) events);
                json.append(",\"").append(r.getString(1)).append("_bytes\":").append(r.getLong(2));
            }
        }
        System.out.printf(Locale.ROOT, "{\"benchmark\":\"storage_cost_at_rest\",\"events\":%d,\"all_bytes\":%d,"
                + "\"email_events_bytes\":%d,\"email_events_index_bytes\":%d%s}%n", events, all, eventsTotal, indexes, json);
    }

    private static double mb(double bytes) {
        return bytes / 1e6;
    }

    private static String one(Statement s, String sql) throws Exception {
        try (ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getString(1);
        }
    }
}
