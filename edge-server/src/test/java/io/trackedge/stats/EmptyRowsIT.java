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
 * A row whose asked-for counts are all 0 is left out, as the README says of buckets without events. Before, a link
 * clicked by a scanner alone was a row of 0 clicks under machine=exclude, and automation "none" (people) a row of 0
 * opens under machine=only: the roll-up held a row for the group, of the other kind of event.
 */
class EmptyRowsIT {

    private static final UUID TENANT = UUID.fromString("0193a6f0-0000-7000-8000-0000000000ab");

    @Test
    void aGroupWithoutTheAskedForEventsIsNoRow() throws Exception {
        try (TestDatabase testDb = TestDatabase.migrated();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 2)) {
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO link_clicks_hourly (tenant_id, hour, campaign_id, url, clicks_human, clicks_machine,"
                        + " clickers_first_any, clickers_first_human, clickers_first_machine) VALUES"
                        + " ('" + TENANT + "', '2026-11-02T10:00:00Z', 'a', 'https://person.example/', 2, 0, 1, 1, 0),"
                        + " ('" + TENANT + "', '2026-11-02T10:00:00Z', 'a', 'https://scanned.example/', 0, 3, 1, 0, 1)");
                s.execute("INSERT INTO automation_hourly (tenant_id, hour, campaign_id, mailbox_id, event_type, automation, reasons,"
                        + " is_machine, events) VALUES"
                        + " ('" + TENANT + "', '2026-11-02T10:00:00Z', 'a', NULL, 'open', 'none', 0, false, 4),"
                        + " ('" + TENANT + "', '2026-11-02T10:00:00Z', 'a', NULL, 'open', 'prefetch', 1, true, 5)");
            }
            StatsQueries queries = new StatsQueries(new TenantReader(db.dataSource(), 10_000));
            assertEquals(Map.of("https://person.example/", 2L), rows(queries.run(request("link", "exclude")), Base.CLICKS_HUMAN));
            assertEquals(Map.of("prefetch", 5L), rows(queries.run(request("automation", "only")), Base.OPENS_MACHINE));
            assertEquals(Map.of("none", 4L), rows(queries.run(request("automation", "exclude")), Base.OPENS_HUMAN));
        }
    }

    private static StatsRequest request(String dimension, String machine) throws BadRequest {
        return StatsRequestParser.parse(Map.of("from", List.of("2026-11-02"), "to", List.of("2026-11-03"), "granularity",
                List.of("total"), "dimensions", List.of(dimension), "metrics", List.of(dimension.equals("link") ? "clicks" : "opens,clicks"),
                "machine", List.of(machine), "campaign", List.of("a")), TENANT, Instant.parse("2026-12-01T00:00:00Z"));
    }

    private static Map<String, Long> rows(StatsResult result, Base base) {
        Map<String, Long> out = new TreeMap<>();
        for (StatsResult.Row row : result.rows()) {
            out.put(row.dimensions().get(0), row.counts().get(base));
        }
        return out;
    }
}
