package io.trackedge.sink.postgres;

import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.db.Database;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The schema stays distributable by tenant (docs/citus.md): after every migration, each table that
 * holds a tenant's rows leads its primary key and every unique key with {@code tenant_id}, and no
 * table has a foreign key. A migration that breaks either fails here rather than on the day someone
 * runs {@code create_distributed_table}.
 */
class TenantShapeIT {

    /** Tables kept whole on every node (Citus reference tables) or on the coordinator: not by tenant. */
    private static final Set<String> NOT_BY_TENANT = Set.of("sink_cursors", "ingest_keys", "analytics_jobs",
            "analytics_job_schedule", "analytics_late_days", "analytics_late_hours", "billing_counted_days", "email_events_dropped_through", "bad_events", "erasure_audit", "rollup_reconciliations", "edge_nodes", "edge_routing", "cluster_identity", "flyway_schema_history");

    @Test
    void everyTenantTableLeadsItsKeysWithTenantIdAndNoTableHasAForeignKey() throws Exception {
        try (TestDatabase testDb = TestDatabase.create()) {
            try (Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 1)) {
                db.migrate();
            }
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                List<String> tables = new ArrayList<>();
                try (ResultSet r = s.executeQuery("""
                        SELECT c.relname FROM pg_class c
                        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
                        ORDER BY 1""")) {
                    while (r.next()) {
                        tables.add(r.getString(1));
                    }
                }
                assertTrue(tables.contains("email_event_rows") && tables.contains("event_contexts") && tables.size() > 20, "migrated: " + tables);
                List<String> byTenant = tables.stream().filter(t -> !NOT_BY_TENANT.contains(t)).toList();
                List<String> wrong = new ArrayList<>();
                // every primary key and unique constraint or index of a tenant table, with its first column
                try (ResultSet r = s.executeQuery("""
                        SELECT t.relname, i.relname, a.attname
                        FROM pg_index x
                        JOIN pg_class t ON t.oid = x.indrelid
                        JOIN pg_class i ON i.oid = x.indexrelid
                        LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
                        WHERE t.relnamespace = 'public'::regnamespace AND x.indisunique AND NOT t.relispartition""")) {
                    while (r.next()) {
                        if (byTenant.contains(r.getString(1)) && !"tenant_id".equals(r.getString(3))) {
                            wrong.add(r.getString(1) + "." + r.getString(2) + " leads with " + r.getString(3));
                        }
                    }
                }
                assertEquals(List.of(), wrong, "unique keys of tenant tables that do not start with tenant_id");
                List<String> withoutTenant = new ArrayList<>();
                for (String t : byTenant) {
                    try (ResultSet r = s.executeQuery("SELECT count(*) FROM pg_attribute WHERE attrelid = '" + t
                            + "'::regclass AND attname = 'tenant_id' AND NOT attisdropped")) {
                        r.next();
                        if (r.getInt(1) == 0) {
                            withoutTenant.add(t);
                        }
                    }
                }
                assertEquals(List.of(), withoutTenant, "tables neither holding tenant_id nor listed as kept whole");
                try (ResultSet r = s.executeQuery("""
                        SELECT conrelid::regclass || ': ' || pg_get_constraintdef(oid) FROM pg_constraint
                        WHERE contype = 'f' AND connamespace = 'public'::regnamespace""")) {
                    List<String> fks = new ArrayList<>();
                    while (r.next()) {
                        fks.add(r.getString(1));
                    }
                    assertEquals(List.of(), fks, "foreign keys");
                }
            }
        }
    }
}
