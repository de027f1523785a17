package io.trackedge.sink.bad;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A row replayed while a retention batch waits on its lock is kept: the batch reads it again once the
 * replay commits, and the replay starts the row's window again.
 */
class BadEventsRetentionIT {

    @Test
    void aRowReplayedWhileTheBatchWaitsForItIsKept() throws Exception {
        try (TestDatabase db = TestDatabase.migrated(); Connection replay = db.connect(); Connection purger = db.connect()) {
            try (Statement s = replay.createStatement()) {
                s.execute("INSERT INTO bad_events (sink, edge_node, journal_position, record, error, set_aside_at) VALUES"
                        + " ('postgres', gen_random_uuid(), 1, '\\x00', 'old', now() - interval '40 days'),"
                        + " ('postgres', gen_random_uuid(), 2, '\\x00', 'old, replayed now', now() - interval '40 days')");
            }
            replay.setAutoCommit(false);
            try (Statement s = replay.createStatement()) {
                s.execute("UPDATE bad_events SET replayed_at = now() WHERE journal_position = 2");
            }
            int pid = TestDatabase.backendPid(purger);
            CompletableFuture<Long> purged = CompletableFuture.supplyAsync(() -> {
                try {
                    return BadEventsRetention.purge(purger, 30);
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            Await.until("the retention batch waits on the row being replayed", Duration.ofSeconds(30),
                    () -> db.count("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid + " AND wait_event_type = 'Lock'") == 1);
            replay.commit();
            assertEquals(1, purged.get());
            assertEquals(1, db.count("SELECT count(*) FROM bad_events WHERE journal_position = 2"), "kept for 30 days after its replay");
            assertEquals(0, db.count("SELECT count(*) FROM bad_events WHERE journal_position = 1"));
        }
    }
}
