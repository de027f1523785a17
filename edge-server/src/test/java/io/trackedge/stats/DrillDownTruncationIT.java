package io.trackedge.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@code /v1/stats/warmup} past its page of 10,000 rows says it was cut (a {@code truncated} field and
 * an {@code X-Truncated} header, as {@code /v1/stats} does) instead of looking whole; a page that holds
 * everything says {@code truncated: false} and carries no header. 350 mailboxes over 30 days are
 * 10,500 rows, a sender with a few hundred warm-up mailboxes.
 */
class DrillDownTruncationIT {

    private static final UUID TENANT = UUID.fromString("0193a6f0-0000-7000-8000-0000000000aa");

    @Test
    void aWarmupAnswerCutAtTheLimitSaysSoAndAWholeOneDoesNot() throws Exception {
        try (TestDatabase testDb = TestDatabase.migrated();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 2)) {
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO warmup_analytics (tenant_id, mailbox_id, date) SELECT '" + TENANT + "', 'mbox-' || m,"
                        + " date '2026-11-01' + d FROM generate_series(1, 350) m, generate_series(0, 29) d");
            }
            DrillDowns drillDowns = new DrillDowns(new TenantReader(db.dataSource(), 10_000));
            ObjectMapper json = new ObjectMapper();

            StatsResponse all = drillDowns.warmup(Map.of("from", List.of("2026-11-01"), "to", List.of("2026-12-01")), TENANT);
            JsonNode cut = json.readTree(new String(all.body(), StandardCharsets.UTF_8));
            assertEquals(DrillDowns.MAX_PAGE, cut.get("rows").size());
            assertTrue(cut.get("truncated").asBoolean(), cut.toString().substring(0, 200));
            assertEquals("true", all.headers().get("X-Truncated"));

            StatsResponse one = drillDowns.warmup(Map.of("from", List.of("2026-11-01"), "to", List.of("2026-12-01"),
                    "mailbox", List.of("mbox-7")), TENANT);
            JsonNode whole = json.readTree(new String(one.body(), StandardCharsets.UTF_8));
            assertEquals(30, whole.get("rows").size());
            assertFalse(whole.get("truncated").asBoolean());
            assertNull(one.headers().get("X-Truncated"));
        }
    }
}
