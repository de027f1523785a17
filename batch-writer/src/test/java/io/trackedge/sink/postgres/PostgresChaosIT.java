package io.trackedge.sink.postgres;

import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.db.Database;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkStats;
import io.trackedge.sink.testing.Sinks;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.FaultReport;
import io.trackedge.sink.testing.OwnedPostgres;
import io.trackedge.sink.testing.Recount;
import io.trackedge.sink.testing.SyntheticEvents;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * While events keep arriving: the sink's connections are killed in the middle of their
 * transactions ({@code pg_terminate_backend}), then PostgreSQL is restarted while COPYs are in
 * flight. Every event still lands once and the counters match a recount.
 */
class PostgresChaosIT {

    @Test
    void killedConnectionsAndRestartsMidCopyLoseAndDuplicateNothing() throws Exception {
        try (OwnedPostgres pg = OwnedPostgres.create(); TestDatabase testDb = TestDatabase.create("127.0.0.1", pg.port())) {
            Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 4);
            db.migrate();
            Path dir = Files.createTempDirectory("chaos-it-");
            JournalWriter writer = JournalWriter.open(dir, 4L << 20, 1L << 30, new JournalStats());
            SinkStats stats = new SinkStats();
            SinkLoop sink = Sinks.postgres(db, dir, writer::flushedPosition, UUID.randomUUID(), 2000, Duration.ofMillis(5), Duration.ofMillis(500), stats);
            sink.start();

            AtomicBoolean producing = new AtomicBoolean(true);
            AtomicLong produced = new AtomicLong();
            Thread producer = new Thread(() -> {
                SyntheticEvents gen = new SyntheticEvents(17, 20_000);
                while (producing.get()) {
                    for (int i = 0; i < 50; i++) {
                        gen.append(writer);
                    }
                    writer.flush();
                    produced.addAndGet(50);
                    try {
                        Thread.sleep(10); // the load's pace (about 5,000 events a second), not a wait
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            producer.start();
            Await.until("the sink to write under load before the chaos", Duration.ofSeconds(60),
                    () -> sink.health().up() && stats.committedPosition.get() > 0);

            // connections killed mid-transaction, every 250 ms for 5 s
            int terminated = 0;
            String admin = "jdbc:postgresql://127.0.0.1:" + pg.port() + "/postgres";
            for (int i = 0; i < 20; i++) {
                try (Connection c = DriverManager.getConnection(admin, "postgres", null); Statement s = c.createStatement();
                     var r = s.executeQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '"
                             + testDb.jdbcUrl().substring(testDb.jdbcUrl().lastIndexOf('/') + 1) + "' AND pid <> pg_backend_pid() "
                             + "AND state <> 'idle'")) {
                    r.next();
                    terminated += r.getInt(1);
                }
                Thread.sleep(250); // the scenario: a kill every 250 ms
            }
            // restarts while COPYs are in flight
            for (int i = 0; i < 3; i++) {
                pg.stop();
                pg.start();
                // the scenario: 1.5 s of load between restarts, so the next stop finds COPYs in flight
                Thread.sleep(1500);
            }
            producing.set(false);
            producer.join();
            writer.flush();
            long last = System.nanoTime();
            // within, not until: a timeout's message should carry the sink's last error
            boolean caughtUp = Await.within(Duration.ofSeconds(90), () -> stats.committedPosition.get() >= writer.flushedPosition());
            long catchUp = (System.nanoTime() - last) / 1_000_000;
            assertTrue(caughtUp, "sink did not catch up in 90 s: " + sink.health().lastError());
            assertEquals(writer.flushedPosition(), stats.committedPosition.get(), "committed up to the end, not beyond");
            sink.stop(Duration.ofSeconds(5));

            long rows = testDb.count("SELECT count(*) FROM email_events");
            long distinct = testDb.count("SELECT count(DISTINCT event_id) FROM email_events");
            FaultReport.record("postgres-connections-killed-and-restarts",
                    terminated + " sink connections killed mid-transaction, then 3 PostgreSQL restarts during COPYs, "
                            + "5,000 events/s journaled", produced.get(), produced.get(), rows, rows - distinct,
                    Math.max(0, produced.get() - distinct), catchUp + " ms to catch up after the last event, "
                            + stats.failures.get() + " failed attempts retried");
            assertTrue(stats.failures.get() > 0, "the faults were felt");
            assertEquals(produced.get(), rows);
            assertEquals(produced.get(), distinct);
            assertEquals(0, Recount.userAgentsMissing(testDb), "every stored User-Agent id has its text");
            List<List<String>> daily = Recount.compare(testDb);
            assertEquals(daily.get(1), daily.get(0));
            writer.close();
            db.close();
        }
    }
}
