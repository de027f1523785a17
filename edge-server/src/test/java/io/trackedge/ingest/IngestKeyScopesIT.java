package io.trackedge.ingest;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.TestEdge;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * A key row holding a scope this version does not know (a later version's, with V12's check widened
 * by its migration) does not stop the edge reloading its keys: that key keeps the scopes this version
 * knows, and every other key works. Before, the unknown name failed the whole reload, so no key
 * created or revoked since took effect, and an edge starting then accepted no key at all.
 */
class IngestKeyScopesIT {

    @Test
    void aScopeFromALaterVersionIsLeftOutAndEveryKeyStillLoads() throws Exception {
        try (TestDatabase testDb = TestDatabase.migrated();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 2)) {
            IngestKeyStore store = new IngestKeyStore(db.dataSource());
            IngestKeyStore.Created writer = store.create(TestEdge.TENANT, "writer", EnumSet.of(IngestKeyStore.Scope.WRITE));
            IngestKeyStore.Created reader = store.create(TestEdge.TENANT, "reader", EnumSet.of(IngestKeyStore.Scope.READ));
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.execute("ALTER TABLE ingest_keys DROP CONSTRAINT ingest_keys_scopes_check");
                s.execute("UPDATE ingest_keys SET scopes = '{write,export}' WHERE prefix = '" + writer.key().prefix() + "'");
            }
            try (IngestKeyCache cache = new IngestKeyCache(store, Duration.ofHours(1))) {
                assertTrue(cache.refresh(), "the reload succeeds");
                IngestKeyCache.Principal w = cache.authenticate("Bearer " + writer.secret());
                assertTrue(w != null && w.canWrite() && !w.canRead(), String.valueOf(w));
                IngestKeyCache.Principal r = cache.authenticate("Bearer " + reader.secret());
                assertTrue(r != null && r.canRead() && !r.canWrite(), String.valueOf(r));
            }
        }
    }
}
