package io.trackedge.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The migrations run on a thread of their own, and the keys' first periodic load follows their first
 * try (a fresh database has no {@code ingest_keys} before them). A migration that fails, say for want of
 * its lock while a long reader holds a table, must not keep the keys from loading where the table
 * exists: ingest would answer 503 to every request until it ran, though the journal could take the
 * events. Once the keys loaded, it is tried again every {@code SCHEMA_RETRY_EVERY}, not before each load.
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
                cache.start();
                Await.until("the keys loaded after the failed migration", Duration.ofSeconds(10), cache::loaded);
                assertNotNull(cache.authenticate("Bearer " + key));
                assertFalse(cache.reloadFailing());
                assertTrue(cache.refresh());
                assertTrue(cache.refresh());
                assertEquals(1, tries.get(), "once the keys loaded, the migrations wait for their retry interval (each try "
                        + "can wait a minute for a lock): a load does not run them first");
            }
        }
    }

    /**
     * A migration waiting for its lock ran on the keys' thread, and every request with a key not yet
     * loaded waited behind it (without limit, before {@code MISS_WAIT}): the keys are read on their own
     * thread meanwhile, and a key made then is accepted on its first request.
     */
    @Test
    void aMigrationWaitingForItsLockDelaysNoKey() throws Exception {
        try (TestDatabase db = TestDatabase.create();
             Database admin = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 1)) {
            admin.migrate();
            IngestKeyStore store = new IngestKeyStore(admin.dataSource());
            CountDownLatch lockFree = new CountDownLatch(1);
            CountDownLatch migrating = new CountDownLatch(1);
            Runnable waitingForItsLock = () -> {
                migrating.countDown();
                try {
                    lockFree.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            try (IngestKeyCache cache = new IngestKeyCache(store, Duration.ofHours(1), waitingForItsLock)) {
                cache.start();
                assertTrue(migrating.await(10, TimeUnit.SECONDS));
                String key = store.create(null, "made while the migrations wait").secret();
                IngestKeyCache.Check check = cache.authenticateOrReload("Bearer " + key)
                        .get(UnknownKeyReloads.MISS_WAIT.toSeconds() + 5, TimeUnit.SECONDS);
                assertNull(check.unavailable(), check.unavailable());
                assertNotNull(check.principal(), "the key read while the migration waits for its lock");
            } finally {
                lockFree.countDown();
            }
        }
    }

    /**
     * On a database no migration has touched, the keys are read once the migrations ran, though the
     * next periodic reload is an hour away: {@code ingest_keys} did not exist before.
     */
    @Test
    void onAFreshDatabaseTheKeysLoadOnceTheMigrationsRan() throws Exception {
        try (TestDatabase db = TestDatabase.create();
             Database admin = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 1)) {
            AtomicInteger tries = new AtomicInteger();
            Runnable schema = () -> {
                tries.incrementAndGet();
                admin.migrate();
            };
            try (IngestKeyCache cache = new IngestKeyCache(new IngestKeyStore(admin.dataSource()), Duration.ofHours(1), schema)) {
                cache.start();
                Await.until("the keys loaded", Duration.ofSeconds(30), cache::loaded);
                assertEquals(0, cache.refreshFailures(), "the keys were read after the migrations, not before");
                assertEquals(1, tries.get());
            }
        }
    }
}
