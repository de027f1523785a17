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
 * "bucket|null" and one row took the other's deliveries. Each row's deliveries are its own bucket's (and campaign's);
 * the total is the range's, campaigns without a shown row included. The edge used to read every campaign's and
 * bucket's deliveries of the range into its heap to pick the rows' out; PostgreSQL now joins them to the rows.
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

    @Test
    void eachRowHasItsOwnBucketsAndCampaignsDeliveriesAndTheTotalHasTheRanges() throws Exception {
        try (TestDatabase testDb = TestDatabase.migrated();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 2)) {
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO stats_hourly (tenant_id, hour, campaign_id, delivered) VALUES"
                        + " ('" + TENANT + "', '2026-11-02T10:00:00Z', 'a', 100),"
                        + " ('" + TENANT + "', '2026-11-02T11:00:00Z', 'a', 1),"
                        + " ('" + TENANT + "', '2026-11-03T10:00:00Z', 'a', 200),"
                        + " ('" + TENANT + "', '2026-11-02T10:00:00Z', 'b', 30),"
                        + " ('" + TENANT + "', '2026-11-03T10:00:00Z', 'c', 7000)," // no clicks: no row, in the total
                        + " ('" + TENANT + "', '2026-11-05T10:00:00Z', 'a', 90000)"); // past the range
                s.execute("INSERT INTO link_clicks_hourly (tenant_id, hour, campaign_id, url, clicks_human, clickers_first_any,"
                        + " clickers_first_human) VALUES"
                        + " ('" + TENANT + "', '2026-11-02T10:00:00Z', 'a', 'https://a.example/', 5, 5, 5),"
                        + " ('" + TENANT + "', '2026-11-03T10:00:00Z', 'a', 'https://a.example/', 6, 6, 6),"
                        + " ('" + TENANT + "', '2026-11-02T10:00:00Z', 'b', 'https://b.example/', 3, 3, 3)");
            }
            StatsQueries queries = new StatsQueries(new TenantReader(db.dataSource(), 10_000));
            StatsResult byCampaign = queries.run(request("link,campaign"));
            assertEquals(Map.of("2026-11-02T00:00:00Z https://a.example/ a", 101L, "2026-11-03T00:00:00Z https://a.example/ a", 200L,
                    "2026-11-02T00:00:00Z https://b.example/ b", 30L), deliveredByRow(byCampaign));
            assertEquals(7331L, byCampaign.totals().get(Base.DELIVERED));
            StatsResult byLink = queries.run(request("link"));
            assertEquals(Map.of("2026-11-02T00:00:00Z https://a.example/", 131L, "2026-11-03T00:00:00Z https://a.example/", 7200L,
                    "2026-11-02T00:00:00Z https://b.example/", 131L), deliveredByRow(byLink));
            assertEquals(7331L, byLink.totals().get(Base.DELIVERED));
        }
    }

    private static StatsRequest request(String dimensions) throws BadRequest {
        return StatsRequestParser.parse(Map.of("from", List.of("2026-11-02"), "to", List.of("2026-11-04"),
                "granularity", List.of("day"), "dimensions", List.of(dimensions), "metrics", List.of("unique_clicks,click_rate")),
                TENANT, Instant.parse("2026-12-01T00:00:00Z"));
    }

    private static Map<String, Long> deliveredByRow(StatsResult result) {
        Map<String, Long> out = new TreeMap<>();
        for (StatsResult.Row row : result.rows()) {
            out.put(row.bucket() + " " + String.join(" ", row.dimensions()), row.counts().get(Base.DELIVERED));
        }
        return out;
    }
}
