package io.trackedge.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.OwnedPostgres;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The recent erasures of two clusters, one of which stops (a PostgreSQL cluster of the test's own):
 * the one still up keeps bringing in its new erasures, and the stopped one's last list stays in
 * force. Reloaded all or none, as before, the stopped cluster kept the other's new erasure out.
 */
class ErasureReloadIT {

    private static final UUID TENANT = UUID.fromString("99999999-9999-4999-8999-999999999999");
    private static final long HOLD = 3_600_000;

    private static void erased(TestDatabase db, String email) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO erasure_audit (tenant_id, email_hash, requested_by) VALUES ('" + TENANT + "', decode('"
                    + RecipientHash.hex(TENANT, email) + "', 'hex'), 'test')");
        }
    }

    @Test
    void aClusterThatCannotBeReadKeepsItsLastListAndTheOthersStillComeIn() throws Exception {
        try (OwnedPostgres pg = OwnedPostgres.create(); TestDatabase a = TestDatabase.migrated();
             TestDatabase b = TestDatabase.create("127.0.0.1", pg.port());
             Database poolA = new Database(new PostgresConnectionInfo(a.jdbcUrl(), "postgres", null), 1);
             Database poolB = new Database(new PostgresConnectionInfo(b.jdbcUrl(), "postgres", null), 1)) {
            poolB.migrate();
            erased(a, "first-in-a");
            erased(b, "first-in-b");
            ErasureList list = ErasureList.empty();
            ErasureReload reload = new ErasureReload(List.of("a", "b"), List.of(poolA.dataSource(), poolB.dataSource()), HOLD, list);
            assertEquals(0, reload.reload());
            long now = System.currentTimeMillis();
            assertTrue(list.isErased(TENANT, "first-in-a", now, HOLD) && list.isErased(TENANT, "first-in-b", now, HOLD));

            pg.stop();
            erased(a, "then-in-a");
            assertEquals(1, reload.reload(), "b cannot be read");
            now = System.currentTimeMillis();
            assertTrue(list.isErased(TENANT, "then-in-a", now, HOLD), "a's new erasure came in");
            assertTrue(list.isErased(TENANT, "first-in-b", now, HOLD), "b's last list stays in force");
            assertTrue(list.isErased(TENANT, "first-in-a", now, HOLD));

            pg.start(); // back: read again (and its test database can be dropped)
            assertEquals(0, reload.reload());
            assertTrue(list.isErased(TENANT, "first-in-b", System.currentTimeMillis(), HOLD));
        }
    }

    /**
     * The list is complete only once every cluster has been read: until then the PostHog sink sends nothing
     * (PostHogSink), where before a restart with a cluster down sent its erased recipients' late events.
     */
    @Test
    void theListIsCompleteOnlyOnceEveryClusterWasRead() throws Exception {
        try (OwnedPostgres pg = OwnedPostgres.create(); TestDatabase a = TestDatabase.migrated();
             TestDatabase b = TestDatabase.create("127.0.0.1", pg.port());
             Database poolA = new Database(new PostgresConnectionInfo(a.jdbcUrl(), "postgres", null), 1);
             Database poolB = new Database(new PostgresConnectionInfo(b.jdbcUrl(), "postgres", null), 1)) {
            poolB.migrate();
            erased(b, "in-b");
            pg.stop();
            ErasureList list = ErasureList.empty();
            list.awaitFirstLoad();
            ErasureReload reload = new ErasureReload(List.of("a", "b"), List.of(poolA.dataSource(), poolB.dataSource()), HOLD, list);
            assertEquals(1, reload.reload(), "b is down");
            assertFalse(list.complete(), "b's erasures are not known yet");
            pg.start();
            assertEquals(0, reload.reload());
            assertTrue(list.complete());
            assertTrue(list.isErased(TENANT, "in-b", System.currentTimeMillis(), HOLD));
        }
    }
}
