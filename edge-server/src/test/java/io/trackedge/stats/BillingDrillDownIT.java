package io.trackedge.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@code /v1/stats/billing} answers every period that overlaps the range asked. Before, a range from
 * the middle of a month left that month out, though its meters cover the days asked.
 */
class BillingDrillDownIT {

    private static final UUID TENANT = UUID.fromString("0193a6f0-0000-7000-8000-0000000000ac");

    @Test
    void aRangeFromMidMonthIncludesThatMonth() throws Exception {
        try (TestDatabase testDb = TestDatabase.migrated();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 2)) {
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                for (String month : new String[] {"2026-10-01", "2026-11-01", "2026-12-01"}) {
                    s.execute("INSERT INTO billing_analytics (tenant_id, period_start, period_end, emails_sent) VALUES ('" + TENANT
                            + "', '" + month + "T00:00:00Z', ('" + month + "'::date + interval '1 month') AT TIME ZONE 'UTC', 5)");
                }
            }
            DrillDowns drillDowns = new DrillDowns(new TenantReader(db.dataSource(), 10_000));
            assertEquals(List.of("2026-11-01"), periods(drillDowns, "2026-11-15", "2026-12-01"));
            assertEquals(List.of("2026-10-01", "2026-11-01"), periods(drillDowns, "2026-10-31", "2026-11-02"));
            assertEquals(List.of("2026-12-01"), periods(drillDowns, "2026-12-01", "2026-12-02"), "November ends where December starts");
        }
    }

    private static List<String> periods(DrillDowns d, String from, String to) throws Exception {
        StatsResponse r = d.billing(Map.of("from", List.of(from), "to", List.of(to)), TENANT);
        JsonNode body = new ObjectMapper().readTree(new String(r.body(), StandardCharsets.UTF_8));
        assertEquals(200, r.status(), body.toString());
        List<String> out = new ArrayList<>();
        for (JsonNode row : body.get("rows")) {
            out.add(row.get("period_start").asText().substring(0, 10));
        }
        return out;
    }
}
