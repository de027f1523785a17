package io.trackedge.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.ResultSet;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Stats reads over two clusters, one of them unreachable (nothing listens on its port): the first
 * read of a tenant there waits out the pool's connection timeout, the next ones are refused at once
 * for the pause (so one cluster down does not hold the stats API's two workers from the others), a
 * tenant of the other cluster is read as usual, and after the pause the down cluster is asked again.
 */
class TenantReaderDownPauseIT {

    private static final UUID UP = UUID.randomUUID();
    private static final UUID DOWN = UUID.randomUUID();

    @Test
    void aClusterThatGaveNoConnectionIsNotAskedAgainForThePauseAndTheOthersAreRead() throws Exception {
        try (TestDatabase testDb = TestDatabase.migrated();
             Database up = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 1);
             Database down = new Database(new PostgresConnectionInfo("jdbc:postgresql://127.0.0.1:1/postgres", "postgres", null), 1)) {
            TenantReader reader = new TenantReader(t -> t.equals(DOWN) ? down.dataSource() : up.dataSource(), 10_000,
                    Duration.ofMinutes(5));
            SQLTransientConnectionException first = assertThrows(SQLTransientConnectionException.class, () -> one(reader, DOWN));
            assertTrue(!first.getMessage().startsWith("the tenant's database gave no connection"), first.getMessage());
            SQLTransientConnectionException paused = assertThrows(SQLTransientConnectionException.class, () -> one(reader, DOWN));
            assertTrue(paused.getMessage().startsWith("the tenant's database gave no connection moments ago"), paused.getMessage());
            assertTrue(StatsService.databaseUnreachable(paused), "answered as a 503 with Retry-After");
            assertEquals(1, one(reader, UP), "the other cluster is read as usual");

            TenantReader shortPause = new TenantReader(t -> t.equals(DOWN) ? down.dataSource() : up.dataSource(), 10_000,
                    Duration.ofMillis(100));
            assertThrows(SQLTransientConnectionException.class, () -> one(shortPause, DOWN));
            Await.until("the down cluster asked again after the pause", Duration.ofSeconds(30), () -> {
                SQLTransientConnectionException e = assertThrows(SQLTransientConnectionException.class, () -> one(shortPause, DOWN));
                return !e.getMessage().startsWith("the tenant's database gave no connection");
            });
        }
    }

    private static int one(TenantReader reader, UUID tenant) throws Exception {
        return reader.read(tenant, c -> {
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT 1")) {
                r.next();
                return r.getInt(1);
            }
        });
    }
}
