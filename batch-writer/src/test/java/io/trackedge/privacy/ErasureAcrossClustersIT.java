package io.trackedge.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * An erasure over two clusters when the second is away: the tenant's own cluster is erased and
 * audited, the outcome names the cluster not reached (the API answers 503, the CLI exits 1) instead
 * of claiming a rollback; when the tenant's own cluster is away, nothing is done.
 */
class ErasureAcrossClustersIT {

    private static final UUID TENANT = UUID.fromString("88888888-8888-4888-8888-888888888888");

    @Test
    void aClusterNotReachedIsNamedAndTheRestIsDone() throws Exception {
        try (TestDatabase own = TestDatabase.create()) {
            Database db = new Database(new PostgresConnectionInfo(own.jdbcUrl(), "postgres", null), 2);
            try {
                db.migrate();
                try (Connection c = own.connect(); Statement s = c.createStatement()) {
                    s.execute("INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, email_id, edge_no) VALUES "
                            + "(gen_random_uuid(), 'open', now(), '" + TENANT + "', gen_random_uuid(), 'gone', 1)");
                }
                ErasureList local = ErasureList.empty();
                RecipientEraser eraser = RecipientEraser.acrossClusters(t -> List.of(db.dataSource(), away()), local, null,
                        System::currentTimeMillis);
                RecipientEraser.Outcome out = eraser.erase(TENANT, "gone", "test");
                assertFalse(out.complete());
                assertEquals(1, out.notReached().size());
                assertTrue(out.notReached().get(0).startsWith("cluster 2 of 2: "), out.notReached().toString());
                assertEquals(1L, out.deleted().get("email_events"));
                assertEquals(0, own.count("SELECT count(*) FROM email_events WHERE email_id = 'gone'"));
                assertEquals(1, own.count("SELECT count(*) FROM erasure_audit WHERE posthog = 'skipped'"), "audited, PostHog's part too");
                assertTrue(local.isErased(TENANT, "gone", System.currentTimeMillis(), 60_000), "this process's sinks hold it back at once");

                RecipientEraser ownAway = RecipientEraser.acrossClusters(t -> List.of(away(), db.dataSource()), ErasureList.empty(), null,
                        System::currentTimeMillis);
                assertThrows(SQLException.class, () -> ownAway.erase(TENANT, "kept", "test"));
                assertEquals(1, own.count("SELECT count(*) FROM erasure_audit"), "the tenant's own cluster away: nothing done");
            } finally {
                db.close();
            }
        }
    }

    /** A cluster that refuses connections at once (no such database). */
    private static DataSource away() {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl("jdbc:postgresql://127.0.0.1:5432/no_such_database_" + UUID.randomUUID().toString().replace("-", ""));
        ds.setUser("postgres");
        return ds;
    }
}
