package io.trackedge.stats;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Runs a {@link StatsPlan} on a tenant's reader transaction ({@link TenantReader}) and collects the {@link StatsResult}. */
public final class StatsQueries {

    private final TenantReader reader;

    public StatsQueries(TenantReader reader) {
        this.reader = reader;
    }

    public StatsResult run(StatsRequest r) throws BadRequest, SQLException {
        StatsPlan plan = StatsPlan.of(r);
        return reader.read(r.tenant(), c -> collect(c, r, plan));
    }

    /**
     * The plans PostgreSQL would run for {@code r} (EXPLAIN, as the reader of that tenant): each
     * statement's plan text, the main query first. For benchmarks and tests that check no raw
     * table is scanned.
     */
    public List<String> explain(StatsRequest r) throws BadRequest, SQLException {
        StatsPlan plan = StatsPlan.of(r);
        return reader.read(r.tenant(), c -> {
            List<String> out = new ArrayList<>();
            out.add(explain(c, plan.sql(), plan.params()));
            if (plan.delivered() != null) {
                out.add(explain(c, plan.delivered(), plan.deliveredParams()));
            }
            return out;
        });
    }

    private static String explain(Connection c, String sql, List<Object> params) throws SQLException {
        StringBuilder out = new StringBuilder();
        try (PreparedStatement s = TenantReader.prepare(c, "EXPLAIN " + sql, params); ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                out.append(rs.getString(1)).append('\n');
            }
        }
        return out.toString();
    }

    private static StatsResult collect(Connection c, StatsRequest r, StatsPlan plan) throws SQLException {
        List<StatsResult.Row> rows = new ArrayList<>();
        Map<Base, Long> totals = new EnumMap<>(Base.class);
        boolean truncated = false;
        int dims = r.dimensions().size();
        try (PreparedStatement s = TenantReader.prepare(c, plan.sql(), plan.params()); ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                if (rows.size() == StatsPlan.MAX_ROWS) {
                    truncated = true;
                    break;
                }
                Instant bucket = rs.getObject(1, OffsetDateTime.class).toInstant();
                List<String> values = new ArrayList<>(dims);
                for (int i = 0; i < dims; i++) {
                    values.add(rs.getString(2 + i));
                }
                Map<Base, Long> counts = new EnumMap<>(Base.class);
                for (int i = 0; i < plan.bases().size(); i++) {
                    long v = rs.getLong(2 + dims + i);
                    counts.put(plan.bases().get(i), v);
                    totals.merge(plan.bases().get(i), v, Long::sum);
                }
                if (plan.delivered() != null) { // joined as the last column
                    counts.put(Base.DELIVERED, rs.getLong(2 + dims + plan.bases().size()));
                }
                rows.add(new StatsResult.Row(bucket, java.util.Collections.unmodifiableList(values), counts)); // values may be null
            }
        }
        if ((truncated || !plan.rowsAddUp()) && plan.totals() != null) { // the rows are cut, or overlap; the totals are neither
            try (PreparedStatement s = TenantReader.prepare(c, plan.totals(), plan.totalsParams()); ResultSet rs = s.executeQuery()) {
                rs.next();
                for (int i = 0; i < plan.bases().size(); i++) {
                    totals.put(plan.bases().get(i), rs.getLong(1 + i));
                }
            }
        }
        if (plan.delivered() != null) {
            try (PreparedStatement s = TenantReader.prepare(c, plan.delivered(), plan.deliveredParams()); ResultSet rs = s.executeQuery()) {
                rs.next();
                totals.put(Base.DELIVERED, rs.getLong(1));
            }
        }
        return new StatsResult(r, rows, totals, truncated);
    }
}
