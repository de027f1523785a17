package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.LockWait;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A migration at an edge's start-up that alters a table the sinks write waits for its lock a
 * bounded time, then rolls back and tries again: behind a long reader it would otherwise queue
 * without end, and every sink batch of every node behind it. V32 alters {@code daily_analytics},
 * which each sink batch upserts.
 */
class MigrationLockIT {

    private static final String BEFORE_V32 = "31";

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // without the bound the migration waits for the reader, which never ends
    void aMigrationBehindALongReaderGivesUpWithNothingOfItDoneAndWritesGoOn() throws Exception {
        try (TestDatabase testDb = TestDatabase.create(); Database db = database(testDb);
             Connection reader = testDb.connect(); Connection writer = testDb.connect()) {
            migrateTo(testDb, BEFORE_V32);
            readDailyAnalytics(reader);

            LockWait wait = new LockWait(Duration.ofMillis(200), 3, Duration.ofMillis(50));
            FlywayException gaveUp = assertThrows(FlywayException.class, () -> db.migrate(wait));
            assertEquals("55P03", sqlState(gaveUp), gaveUp.getMessage());
            assertEquals(BEFORE_V32, schemaVersion(testDb));
            assertEquals("numeric(7,2)", openRateType(testDb), "V32 rolled back");
            // Nothing queues behind a request given up: a sink's upsert goes through while the reader still reads.
            try (Statement s = writer.createStatement()) {
                s.execute("SET lock_timeout = '5s'");
                s.execute("INSERT INTO daily_analytics (tenant_id, user_id, date) VALUES (gen_random_uuid(), gen_random_uuid(), current_date)");
            }

            reader.commit();
            assertTrue(db.migrate(wait) >= 1, "V32 and every later one");
            assertEquals("numeric", openRateType(testDb));
            assertEquals(1, testDb.count("SELECT count(*) FROM daily_analytics"));
        }
    }

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aMigrationTriesAgainAndGoesOnOnceTheReaderEnds() throws Exception {
        ExecutorService migrator = Executors.newSingleThreadExecutor();
        try (TestDatabase testDb = TestDatabase.create(); Database db = database(testDb); Connection reader = testDb.connect()) {
            migrateTo(testDb, BEFORE_V32);
            readDailyAnalytics(reader);

            LockWait wait = new LockWait(Duration.ofMillis(300), 100, Duration.ofMillis(300));
            CompletableFuture<Integer> applied = CompletableFuture.supplyAsync(() -> db.migrate(wait), migrator);
            // The migration has given up at least once: its first try's wait, a pause, a later try's wait.
            String waiting = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    + "AND wait_event_type = 'Lock' AND query LIKE '%daily_analytics%'";
            Await.until("the migration waiting for its lock", Duration.ofSeconds(20), () -> testDb.count(waiting) == 1);
            Await.until("the migration giving up", Duration.ofSeconds(20), () -> testDb.count(waiting) == 0);
            Await.until("the migration trying again", Duration.ofSeconds(20), () -> testDb.count(waiting) == 1);
            reader.commit();

            assertTrue(applied.get(30, TimeUnit.SECONDS) >= 1, "V32 and every later one, on a later try");
            assertEquals("numeric", openRateType(testDb));
        } finally {
            migrator.shutdownNow();
        }
    }

    private static Database database(TestDatabase testDb) {
        return new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), testDb.user(), null), 1);
    }

    private static void migrateTo(TestDatabase testDb, String version) {
        Flyway.configure().dataSource(testDb.jdbcUrl(), testDb.user(), null).locations("classpath:db/migration")
                .target(version).load().migrate();
    }

    /** ACCESS SHARE on daily_analytics until the reader's transaction ends. */
    private static void readDailyAnalytics(Connection reader) throws SQLException {
        reader.setAutoCommit(false);
        try (Statement s = reader.createStatement()) {
            s.executeQuery("SELECT count(*) FROM daily_analytics").close();
        }
    }

    private static String schemaVersion(TestDatabase testDb) throws SQLException {
        return testDb.rows("SELECT version FROM flyway_schema_history WHERE success ORDER BY installed_rank DESC LIMIT 1").get(0);
    }

    private static String openRateType(TestDatabase testDb) throws SQLException {
        return testDb.rows("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                + "WHERE attrelid = 'daily_analytics'::regclass AND attname = 'open_rate'").get(0);
    }

    private static String sqlState(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                return sql.getSQLState();
            }
        }
        return null;
    }
}
