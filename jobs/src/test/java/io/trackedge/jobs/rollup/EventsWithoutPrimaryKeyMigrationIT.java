package io.trackedge.jobs.rollup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * sql/V25 (email_events without its primary key) on a database holding data: events of three days and
 * three tenants loaded at V24, every roll-up run; then the migration. No unique index is left on
 * email_events or any of its partitions, each partition keeps its other indexes, every event is there
 * as before, an event is still found by its tenant, email, id and time through the email index (as a
 * correction or a re-score finds it), and every roll-up holds the same rows after running them all again.
 */
class EventsWithoutPrimaryKeyMigrationIT {

    private static final String EVENTS = "SELECT to_jsonb(e)::text FROM email_events e ORDER BY e.tenant_id, e.event_id";
    /** Every index of email_events and of its partitions, by table. */
    private static final String INDEXES = "SELECT t.relname || ': ' || regexp_replace(pg_get_indexdef(x.indexrelid), '.* USING ', '')"
            + " || CASE WHEN x.indisunique THEN ' unique' ELSE '' END FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid"
            + " WHERE t.relname = 'email_events' OR t.oid IN (SELECT inhrelid FROM pg_inherits"
            + " WHERE inhparent = 'email_events'::regclass) ORDER BY 1";

    @Test
    void thePrimaryKeyGoesAndNothingElseChanges() throws Exception {
        try (TestDatabase testDb = TestDatabase.create()) {
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            MigrationCheck.migrate(testDb, "24");
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute(MigrationCheck.load(today.minusDays(2), "user_agent_id", "user_agent_id(%s)", "edge_no", "1"));
            }
            List<String> events = testDb.rows(EVENTS);
            Map<String, List<String>> rollUps = MigrationCheck.expectedRollUps(testDb);
            List<String> before = testDb.rows(INDEXES);
            assertEquals(6000, events.size());
            assertEquals(List.of(), rollUps.entrySet().stream().filter(t -> t.getValue().isEmpty()).map(Map.Entry::getKey).toList(),
                    "roll-up tables left empty by the load");
            assertTrue(before.stream().anyMatch(i -> i.startsWith("email_events: btree (tenant_id, event_id, occurred_at) unique")),
                    "the key to drop is there: " + before);
            long partitions = testDb.count("SELECT count(*) FROM pg_inherits WHERE inhparent = 'email_events'::regclass");

            MigrationCheck.migrate(testDb, "25");
            List<String> after = testDb.rows(INDEXES);
            assertEquals(List.of(), after.stream().filter(i -> i.endsWith(" unique")).toList(), "unique indexes left");
            assertEquals(before.stream().filter(i -> !i.endsWith(" unique")).toList(), after, "every other index kept");
            assertEquals((partitions + 1) * 2, after.size(), "each partition and the parent: the email index and the BRIN");
            assertEquals(events, testDb.rows(EVENTS), "every event, every column, the same");
            String some = testDb.rows("SELECT tenant_id || ' ' || email_id || ' ' || event_id || ' ' || occurred_at FROM email_events"
                    + " WHERE event_type = 'open' ORDER BY occurred_at DESC LIMIT 1").get(0);
            String[] k = some.split(" ", 4);
            String byId = MigrationCheck.plan(testDb, "SELECT x.* FROM email_events x JOIN (VALUES ('" + k[0] + "'::uuid, '" + k[1] + "', '" + k[2]
                    + "'::uuid, '" + k[3] + "'::timestamptz)) s (tenant_id, email_id, event_id, occurred_at)"
                    + " ON x.tenant_id = s.tenant_id AND x.email_id = s.email_id AND x.event_id = s.event_id"
                    + " AND x.occurred_at = s.occurred_at",
                    "enable_bitmapscan = off"); // the BRIN on occurred_at would otherwise do, slowly
            assertTrue(byId.contains("tenant_id_email_id_idx") && byId.matches("(?s).*Index Cond: .*email_id = .*"),
                    "an event is found through the email index: " + byId);
            assertEquals(1, testDb.count("SELECT count(*) FROM email_events WHERE tenant_id = '" + k[0] + "' AND email_id = '" + k[1]
                    + "' AND event_id = '" + k[2] + "' AND occurred_at = '" + k[3] + "'"));

            assertEquals(List.of(), MigrationCheck.differences(rollUps, MigrationCheck.rolledUpAtNewest(testDb)));
        }
    }
}
