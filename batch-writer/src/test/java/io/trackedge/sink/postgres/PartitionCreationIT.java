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
import java.util.List;
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

    /**
     * Events of a day with no partition wait in the default partition; when the day's partition is
     * made later it takes them. Before V33 PostgreSQL refused to make it (23514), and every later
     * day with it, since all are made in one call.
     */
    @Test
    void aDayWhoseEventsWaitInTheDefaultPartitionIsMadeWithThem() throws Exception {
        try (TestDatabase db = TestDatabase.migrated(); Connection maintainer = db.connect()) {
            String day5 = db.rows("SELECT 'email_events_' || to_char((now() AT TIME ZONE 'UTC')::date + 5, 'YYYYMMDD')").get(0);
            String day6 = db.rows("SELECT 'email_events_' || to_char((now() AT TIME ZONE 'UTC')::date + 6, 'YYYYMMDD')").get(0);
            try (Statement s = maintainer.createStatement()) {
                s.execute("DROP TABLE " + day5);
                s.execute("DROP TABLE " + day6);
                for (int[] event : new int[][] {{5, 1}, {5, 13}, {5, 23}, {6, 0}}) {
                    s.execute("INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, email_id, edge_no, url) VALUES "
                            + "(gen_random_uuid(), 'click', ((now() AT TIME ZONE 'UTC')::date + " + event[0] + " + time '"
                            + event[1] + ":30')::timestamp AT TIME ZONE 'UTC', gen_random_uuid(), gen_random_uuid(), 'e" + event[1]
                            + "', 1, 'https://example.com/" + event[1] + "')");
                }
            }
            String everyEvent = "SELECT event_id, event_type, occurred_at, tenant_id, user_id, email_id, edge_no, url FROM email_events ORDER BY event_id";
            List<String> before = db.rows(everyEvent);
            assertEquals(4, db.count("SELECT count(*) FROM email_events_default"), "the days had no partition");

            assertEquals(2, PartitionMaintainer.ensurePartitions(maintainer, LockWait.DEFAULT));

            assertEquals(0, db.count("SELECT count(*) FROM email_events_default"));
            assertEquals(3, db.count("SELECT count(*) FROM " + day5));
            assertEquals(1, db.count("SELECT count(*) FROM " + day6));
            assertEquals(before, db.rows(everyEvent), "every event kept, unchanged");
            for (String day : List.of(day5, day6)) {
                assertEquals(1, db.count("SELECT count(*) FROM pg_class WHERE relname = '" + day + "' AND relispartition"), day);
                assertEquals(2, db.count("SELECT count(*) FROM pg_indexes WHERE tablename = '" + day + "'"),
                        day + " has the parent's indexes");
            }
            // New events of the day go to its partition now.
            try (Statement s = maintainer.createStatement()) {
                s.execute("INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, email_id, edge_no) VALUES "
                        + "(gen_random_uuid(), 'open', ((now() AT TIME ZONE 'UTC')::date + 5 + time '08:00')::timestamp AT TIME ZONE 'UTC', "
                        + "gen_random_uuid(), gen_random_uuid(), 'e', 1)");
            }
            assertEquals(4, db.count("SELECT count(*) FROM " + day5));
            assertEquals(0, PartitionMaintainer.ensurePartitions(maintainer, LockWait.DEFAULT), "each day once");
        }
    }

    private static boolean exists(TestDatabase db, String table) throws SQLException {
        return db.count("SELECT count(*) FROM pg_class WHERE relname = '" + table + "'") == 1;
    }
}
