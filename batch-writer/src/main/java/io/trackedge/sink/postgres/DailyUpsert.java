package io.trackedge.sink.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Adds a batch's folded increments ({@link DailyFold}) to {@code daily_analytics}: the rows are
 * staged with binary COPY into a temporary table, then one {@code INSERT ... SELECT ... ON CONFLICT
 * DO UPDATE} adds them to the existing counters. A batch touches hundreds of keys; as a multi-row
 * VALUES statement with 23 parameters a row, rendering and binding it took 80 % of the sink's
 * commit-thread CPU (async-profiler, end-to-end run at 15,000 pixels/s). The same for
 * {@code daily_unstored}, which has the same key and counters.
 */
final class DailyUpsert {

    private static final DailyCounter[] COUNTERS = DailyCounter.values();
    private static final String COUNTER_COLUMNS = Arrays.stream(COUNTERS).map(c -> c.column).collect(Collectors.joining(", "));
    private final String stage;
    private final String upsert;
    private final String copyInto;
    private final BinaryCopyEncoder rows = new BinaryCopyEncoder();

    /** Adds to {@code daily_analytics}. */
    DailyUpsert() {
        this("daily_analytics");
    }

    /**
     * @param table {@code daily_analytics}, or {@code daily_unstored} (V14: the same key and counters,
     *     for what the sink counts without storing a row)
     */
    DailyUpsert(String table) {
        String stageTable = table + "_stage";
        this.stage = "CREATE TEMP TABLE IF NOT EXISTS " + stageTable + " (tenant_id uuid, user_id uuid, "
                + "campaign_id text COLLATE \"C\", mailbox_id text COLLATE \"C\", date date, " // as the tables' ids (V24)
                + Arrays.stream(COUNTERS).map(c -> c.column + " bigint").collect(Collectors.joining(", "))
                + ") ON COMMIT DELETE ROWS";
        this.upsert = "INSERT INTO " + table + " (tenant_id, user_id, campaign_id, mailbox_id, date, "
                + COUNTER_COLUMNS + ") SELECT tenant_id, user_id, campaign_id, mailbox_id, date, " + COUNTER_COLUMNS
                // one order for every writer, so two edge nodes upserting the same keys cannot deadlock
                + " FROM " + stageTable + " ORDER BY tenant_id, user_id, campaign_id, mailbox_id, date"
                + " ON CONFLICT ON CONSTRAINT " + table + "_key DO UPDATE SET updated_at = now(), "
                + Arrays.stream(COUNTERS).map(c -> c.column + " = " + table + "." + c.column + " + excluded." + c.column)
                        .collect(Collectors.joining(", "));
        this.copyInto = "COPY " + stageTable + " FROM STDIN (FORMAT binary)";
    }

    void write(Connection c, DailyFold fold) throws SQLException {
        Map<DailyFold.Key, long[]> folded = fold.rows();
        if (folded.isEmpty()) {
            return;
        }
        rows.reset();
        rows.header();
        for (Map.Entry<DailyFold.Key, long[]> row : folded.entrySet()) {
            DailyFold.Key k = row.getKey();
            rows.tuple(5 + COUNTERS.length);
            rows.uuid(k.tenant());
            rows.uuid(k.user());
            rows.text(k.campaign());
            rows.text(k.mailbox());
            rows.date(k.date());
            for (long v : row.getValue()) {
                rows.int8(v);
            }
        }
        rows.trailer();
        try (Statement s = c.createStatement()) {
            s.execute(stage);
        }
        rows.copyInto(c, copyInto);
        try (Statement s = c.createStatement()) {
            s.executeUpdate(upsert);
        }
    }
}
