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
 * sql/V18 (edge numbers, email_events written again in a new column order) on a database holding
 * data: events of three days, three tenants and two edges loaded at V17, some of them in the default
 * partition, every roll-up run; then the migration. Every event is there with every column as before
 * (its edge read back through {@code edge_nodes}), the partitions keep their names and bounds and each
 * has its indexes, the reader role still sees one tenant only, and every roll-up holds the same rows
 * after running them all again.
 */
class EdgeNumbersMigrationIT {

    private static final String EDGE = "('00000000-0000-4000-a000-00000000000' || (i % 2 + 1))::uuid";
    private static final String EVENTS_AT_17 = "SELECT (to_jsonb(e) - 'edge_node')::text || ' edge=' || e.edge_node"
            + " FROM email_events e ORDER BY e.tenant_id, e.event_id";
    private static final String EVENTS_AT_18 = "SELECT (to_jsonb(e) - 'edge_no')::text || ' edge=' || n.edge_node"
            + " FROM email_events e JOIN edge_nodes n USING (edge_no) ORDER BY e.tenant_id, e.event_id";
    private static final String PARTITIONS = "SELECT c.relname || ' ' || pg_get_expr(c.relpartbound, c.oid) || ' indexes '"
            + " || (SELECT string_agg(pg_get_indexdef(i.indexrelid), '; ' ORDER BY pg_get_indexdef(i.indexrelid)) FROM pg_index i"
            + " WHERE i.indrelid = c.oid) FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid"
            + " WHERE h.inhparent = 'email_events'::regclass ORDER BY 1";

    @Test
    void noEventLostAndEveryRollUpUnchanged() throws Exception {
        try (TestDatabase testDb = TestDatabase.create()) {
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            MigrationCheck.migrate(testDb, "17");
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute(MigrationCheck.load(today.minusDays(2), "user_agent_id", "user_agent_id(%s)", "edge_node", EDGE));
                s.execute("INSERT INTO user_agents (tenant_id, user_agent_id, user_agent) SELECT DISTINCT e.tenant_id, user_agent_id(u), u"
                        + " FROM email_events e CROSS JOIN unnest(" + MigrationCheck.USER_AGENTS + ") u WHERE u IS NOT NULL");
                // A month back: no daily partition, so these land in the default one.
                s.execute("INSERT INTO email_events SELECT (jsonb_populate_record(e, jsonb_build_object('event_id', gen_random_uuid(),"
                        + " 'occurred_at', e.occurred_at - interval '30 days'))).* FROM email_events e WHERE e.event_type = 'open' LIMIT 20");
                s.execute("INSERT INTO sink_cursors (edge_node, sink, position) VALUES ('00000000-0000-4000-a000-000000000001', 'postgres', 42)");
            }
            List<String> events = testDb.rows(EVENTS_AT_17);
            List<String> partitions = testDb.rows(PARTITIONS.replace("pg_get_indexdef(i.indexrelid)", "'index'"));
            Map<String, List<String>> rollUps = MigrationCheck.expectedRollUps(testDb);
            assertEquals(6020, events.size());
            assertEquals(20, testDb.count("SELECT count(*) FROM email_events_default"));
            assertEquals(List.of(), rollUps.entrySet().stream().filter(t -> t.getValue().isEmpty()).map(Map.Entry::getKey).toList(),
                    "roll-up tables left empty by the load");

            MigrationCheck.migrate(testDb, "18");
            assertEquals(events, testDb.rows(EVENTS_AT_18), "every event, every column, the same");
            assertEquals(20, testDb.count("SELECT count(*) FROM email_events_default"));
            assertEquals(2, testDb.count("SELECT count(*) FROM edge_nodes"));
            assertEquals(partitions, testDb.rows(PARTITIONS.replace("pg_get_indexdef(i.indexrelid)", "'index'")),
                    "the same partitions, by name and bounds, each with as many indexes");
            for (String p : testDb.rows(PARTITIONS)) {
                assertTrue(p.contains("UNIQUE INDEX") && p.contains("(tenant_id, event_id, occurred_at)")
                        && p.contains("(tenant_id, email_id)") && p.contains("USING brin (occurred_at)"), p);
            }
            assertEquals(0, testDb.count("SELECT count(*) FROM pg_class WHERE relname LIKE 'v17\\_%'"), "nothing of the old table left");
            assertEquals(List.of("0"), readerCounts(testDb, null), "the reader sees nothing without a tenant");
            assertEquals(List.of(String.valueOf(testDb.count("SELECT count(*) FROM email_events"
                    + " WHERE tenant_id = '00000000-0000-4000-8000-000000000001'"))),
                    readerCounts(testDb, "00000000-0000-4000-8000-000000000001"), "the reader sees its tenant's rows");

            assertEquals(List.of(), MigrationCheck.differences(rollUps, MigrationCheck.rolledUpAtNewest(testDb)));
        }
    }

    /** email_events as trackedge_reader counts it, with app.tenant_id set to {@code tenant} (null: unset). */
    private static List<String> readerCounts(TestDatabase testDb, String tenant) throws Exception {
        try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("SET LOCAL ROLE trackedge_reader");
            if (tenant != null) {
                s.execute("SET LOCAL app.tenant_id = '" + tenant + "'");
            }
            try (var r = s.executeQuery("SELECT count(*) FROM email_events")) {
                r.next();
                return List.of(r.getString(1));
            } finally {
                c.rollback();
            }
        }
    }
}
