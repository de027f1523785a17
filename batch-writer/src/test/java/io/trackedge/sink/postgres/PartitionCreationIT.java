package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.LockWait;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Making next week's partition locks {@code email_event_rows} ACCESS EXCLUSIVE. Behind a long
 * reader (or a sink's batch waiting in Java for the one before it), the maintainer gives up after
 * its lock wait instead of holding every write and read of events in the queue behind its request,
 * and makes the day on a later run.
 */
class PartitionCreationIT {

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // without a lock wait the maintainer would queue until the reader ends, and this one never would
    void aMissingDayIsMadeAfterALongReaderNotBehindIt() throws Exception {
        try (TestDatabase db = TestDatabase.migrated(); Connection reader = db.connect(); Connection maintainer = db.connect();
             Connection writer = db.connect()) {
            // The database's date, as the function reckons it (the test's clock may be across midnight from it).
            String lastDay = db.rows("SELECT 'email_events_' || to_char((now() AT TIME ZONE 'UTC')::date + 7, 'YYYYMMDD')").get(0);
            try (Statement s = maintainer.createStatement()) {
                s.execute("DROP TABLE IF EXISTS " + lastDay);
            }
            reader.setAutoCommit(false);
            try (Statement s = reader.createStatement()) {
                s.executeQuery("SELECT count(*) FROM email_events").close(); // ACCESS SHARE until it ends
            }

            LockWait wait = new LockWait(Duration.ofMillis(200), 2, Duration.ofMillis(50));
            SQLException gaveUp = assertThrows(SQLException.class, () -> PartitionMaintainer.ensurePartitions(maintainer, wait));
            assertEquals("55P03", gaveUp.getSQLState(), gaveUp.getMessage());
            assertTrue(maintainer.getAutoCommit(), "the connection goes back to the pool as it came");
            assertFalse(exists(db, lastDay));
            // Nothing queues behind a request given up: a write goes through while the reader still reads.
            try (Statement s = writer.createStatement()) {
                s.execute("SET lock_timeout = '5s'");
                s.execute("INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, email_id, edge_no) VALUES "
                        + "(gen_random_uuid(), 'open', now(), gen_random_uuid(), gen_random_uuid(), 'e', 1)");
            }

            reader.commit();
            assertEquals(1, PartitionMaintainer.ensurePartitions(maintainer, wait));
            assertTrue(exists(db, lastDay));
            assertEquals(0, PartitionMaintainer.ensurePartitions(maintainer, wait), "each day once");
        }
    }

    private static boolean exists(TestDatabase db, String table) throws SQLException {
        return db.count("SELECT count(*) FROM pg_class WHERE relname = '" + table + "'") == 1;
    }
}
