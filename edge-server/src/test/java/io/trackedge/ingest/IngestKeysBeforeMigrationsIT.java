package io.trackedge.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.TestDatabase;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The keys' first load runs the pending migrations first (a fresh database has no {@code
 * ingest_keys} before them). A migration that fails, say for want of its lock while a long reader
 * holds a table, must not keep the keys from loading where the table exists: ingest would answer 503
 * to every request until it ran, though the journal could take the events. Once the keys loaded, it is
 * tried again every {@code SCHEMA_RETRY_EVERY}, after a load, so that its lock wait delays no key.
 */
class IngestKeysBeforeMigrationsIT {

    @Test
    void aFailingMigrationDoesNotKeepExistingKeysFromLoading() throws Exception {
        try (TestDatabase db = TestDatabase.create();
             Database admin = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 1)) {
            admin.migrate();
            IngestKeyStore store = new IngestKeyStore(admin.dataSource());
            String key = store.create(null, "before a blocked migration").secret();
            AtomicInteger tries = new AtomicInteger();
            Runnable blocked = () -> {
                tries.incrementAndGet();
                throw new IllegalStateException("could not take the migration lock within its wait");
            };
            try (IngestKeyCache cache = new IngestKeyCache(store, Duration.ofHours(1), blocked)) {
                assertTrue(cache.refresh(), "the keys load");
                assertNotNull(cache.authenticate("Bearer " + key));
                assertFalse(cache.reloadFailing());
                assertTrue(cache.refresh());
                assertEquals(1, tries.get(), "once the keys loaded, the migrations wait for their retry interval (each try "
                        + "can wait a minute for a lock): the next load does not run them first");
            }
        }
    }
}
