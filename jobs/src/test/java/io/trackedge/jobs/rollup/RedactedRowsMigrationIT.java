package io.trackedge.jobs.rollup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * sql/V40 ({@code email_event_rows.redacted}, the mark of a row whose address or User-Agent privacy
 * settings cut) on a database holding data: events of three days and three tenants loaded (at V25) and
 * migrated to V39, every roll-up run; then the migration. No partition is written again (each keeps its
 * file), no row grows, no row stored before carries a mark, every event reads back the same through the
 * view, and every roll-up holds the same rows after running them all again.
 */
class RedactedRowsMigrationIT {

    private static final String EVENTS = "SELECT to_jsonb(e)::text FROM email_events e ORDER BY e.tenant_id, e.event_id";
    /** Each partition of email_event_rows and the file its rows are in. */
    private static final String FILES = "SELECT c.relname || ' ' || c.relfilenode FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid"
            + " WHERE h.inhparent = 'email_event_rows'::regclass ORDER BY 1";
    private static final String ROW_BYTES = "SELECT sum(pg_column_size(e.*)) FROM email_event_rows e";

    @Test
    void everyRowIsLeftAsItWasAndUnmarked() throws Exception {
        try (TestDatabase testDb = TestDatabase.create()) {
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            MigrationCheck.migrate(testDb, "25"); // the load's SQL is V25's; V26 to V39 carry the rows on
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute(MigrationCheck.load(today.minusDays(2), "user_agent_id", "user_agent_id(%s)", "edge_no", "1"));
            }
            MigrationCheck.migrate(testDb, "39");
            List<String> events = testDb.rows(EVENTS);
            Map<String, List<String>> rollUps = MigrationCheck.expectedRollUps(testDb);
            List<String> files = testDb.rows(FILES);
            long rowBytes = testDb.count(ROW_BYTES);
            assertEquals(6000, events.size());

            MigrationCheck.migrate(testDb, "40");
            assertEquals(files, testDb.rows(FILES), "no partition written again: adding the column is a change of the catalog alone");
            assertEquals(0, testDb.count("SELECT count(*) FROM email_event_rows WHERE redacted IS NOT NULL"),
                    "what the sink cut before V40 is not known: the re-score's scope of tenants covers those rows");
            assertEquals(rowBytes, testDb.count(ROW_BYTES), "a NULL takes no byte of a row");
            assertEquals(events, testDb.rows(EVENTS), "every event, every column, the same through the view");
            assertEquals(List.of(), MigrationCheck.differences(rollUps, MigrationCheck.rolledUpAtNewest(testDb)));
        }
    }
}
