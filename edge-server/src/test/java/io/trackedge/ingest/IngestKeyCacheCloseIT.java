package io.trackedge.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@link IngestKeyCache#close} did not wait for its threads: a reload stuck in the database (here
 * behind a lock another session holds on {@code ingest_keys}) outlived it, holding a connection of the
 * pool that the edge closes next, and ran its query once the lock was free. Now close cancels it and
 * waits: when close returns, the keys' thread is gone and no query of the cache runs or waits on the
 * server, and the request that waited for that reload is told to retry.
 */
class IngestKeyCacheCloseIT {

    private static final String UNKNOWN = "Bearer " + IngestKeyFormat.generate(new SecureRandom());

    @Test
    void closeEndsAReloadStuckInTheDatabaseBeforeItReturns() throws Exception {
        try (TestDatabase db = TestDatabase.create();
             Database pool = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 1);
             Connection locker = db.connect()) {
            pool.migrate();
            Set<Thread> before = keysThreads();
            IngestKeyCache cache = new IngestKeyCache(new IngestKeyStore(pool.dataSource()), Duration.ofHours(1));
            try {
                cache.start();
                Await.until("the keys loaded", Duration.ofSeconds(30), cache::loaded);
                Set<Thread> started = keysThreads();
                started.removeAll(before);
                assertEquals(List.of("ingest-keys"), started.stream().map(Thread::getName).toList());
                Await.until("an unknown key to be allowed a reload", Duration.ofSeconds(30), cache::reloadsOnNextMiss);
                locker.setAutoCommit(false);
                try (Statement s = locker.createStatement()) {
                    s.execute("LOCK TABLE ingest_keys IN ACCESS EXCLUSIVE MODE");
                }
                int lockerPid = TestDatabase.backendPid(locker);
                CompletableFuture<Boolean> reload = cache.reloadForUnknownKey(UNKNOWN);
                Await.until("the reload waiting for the lock", Duration.ofSeconds(30), () -> db.waitingOn(lockerPid) == 1);

                cache.close();

                Set<Thread> left = keysThreads();
                left.removeAll(before);
                assertEquals(List.of(), left.stream().map(Thread::getName).toList(),
                        "the cache's threads still running after close returned");
                assertEquals(0, db.waitingOn(lockerPid), "the reload still waiting for the lock after close returned");
                assertEquals(0, activeKeyQueries(db), "a query of the cache running after close returned");
                assertFalse(reload.getNow(true), "the request that waited for the reload is told to retry, its key unchecked");
                locker.rollback();
                assertFalse(cache.refresh(), "a closed cache reads no keys");
            } finally {
                cache.close();
            }
        }
    }

    /** Sessions of this database running a statement on {@code ingest_keys}, this one's aside. */
    private static long activeKeyQueries(TestDatabase db) throws Exception {
        return db.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active'"
                + " AND query LIKE '%FROM ingest_keys%' AND pid <> pg_backend_pid()");
    }

    private static Set<Thread> keysThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("ingest-keys") && t.isAlive())
                .collect(Collectors.toSet());
    }
}
