package io.trackedge.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A link's {@code click_rate} by campaign divides by its own campaign's deliveries: a campaign named
 * "null" and the events without a campaign are two rows, each with its own. Before, both were keyed
 * "bucket|null" and one row took the other's deliveries.
 */
class LinkClickRateIT {

    private static final UUID TENANT = UUID.fromString("0193a6f0-0000-7000-8000-0000000000aa");

    @Test
    void aCampaignNamedNullAndNoCampaignEachHaveTheirOwnDeliveries() throws Exception {
        try (TestDatabase testDb = TestDatabase.migrated();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 2)) {
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO stats_hourly (tenant_id, hour, campaign_id, delivered) VALUES"
                        + " ('" + TENANT + "', '2026-11-02T10:00:00Z', 'null', 10),"
                        + " ('" + TENANT + "', '2026-11-02T10:00:00Z', NULL, 40)");
                s.execute("INSERT INTO link_clicks_hourly (tenant_id, hour, campaign_id, url, clicks_human, clickers_first_any,"
                        + " clickers_first_human) VALUES"
                        + " ('" + TENANT + "', '2026-11-02T10:00:00Z', 'null', 'https://a.example/', 5, 5, 5),"
                        + " ('" + TENANT + "', '2026-11-02T10:00:00Z', NULL, 'https://a.example/', 4, 4, 4)");
            }
            StatsRequest r = StatsRequestParser.parse(Map.of("from", List.of("2026-11-02"), "to", List.of("2026-11-03"),
                    "granularity", List.of("total"), "dimensions", List.of("link,campaign"), "metrics", List.of("unique_clicks,click_rate")),
                    TENANT, Instant.parse("2026-12-01T00:00:00Z"));
            StatsResult result = new StatsQueries(new TenantReader(db.dataSource(), 10_000)).run(r);
            Map<String, Long> deliveredByCampaign = new TreeMap<>();
            for (StatsResult.Row row : result.rows()) {
                deliveredByCampaign.put(String.valueOf(row.dimensions().get(1) == null ? "(none)" : "'" + row.dimensions().get(1) + "'"),
                        row.counts().get(Base.DELIVERED));
            }
            assertEquals(Map.of("'null'", 10L, "(none)", 40L), deliveredByCampaign);
        }
    }
}
