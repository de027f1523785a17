package io.trackedge.sink.postgres;

import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.db.Database;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.sink.SinkHealth;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkStats;
import io.trackedge.sink.testing.Sinks;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.OwnedPostgres;
import io.trackedge.sink.testing.Recount;
import io.trackedge.sink.testing.SyntheticEvents;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** PostgreSQL stopped for 30 seconds while events keep arriving, then started again. */
class PostgresOutageIT {

    @Test
    void aThirtySecondOutageLosesNothingAndDuplicatesNothing() throws Exception {
        try (OwnedPostgres pg = OwnedPostgres.create(); TestDatabase testDb = TestDatabase.create("127.0.0.1", pg.port())) {
            Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 4);
            db.migrate();
            Path dir = Files.createTempDirectory("outage-it-");
            JournalWriter writer = JournalWriter.open(dir, 4L << 20, 1L << 30, new JournalStats());
            SinkStats stats = new SinkStats();
            SinkLoop sink = Sinks.postgres(db, dir, writer::flushedPosition, UUID.randomUUID(), 1000, Duration.ofMillis(5), Duration.ofSeconds(2), stats);
            sink.start();

            // the "edge": keeps journaling about 2,000 events a second through the whole outage
            AtomicBoolean producing = new AtomicBoolean(true);
            AtomicLong produced = new AtomicLong();
            Thread producer = new Thread(() -> {
                SyntheticEvents gen = new SyntheticEvents(9, 5000);
                while (producing.get()) {
                    for (int i = 0; i < 20; i++) {
                        gen.append(writer);
                    }
                    writer.flush();
                    produced.addAndGet(20);
                    try {
                        Thread.sleep(10); // the load's pace (about 2,000 events a second), not a wait
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            producer.start();
            Await.until("the sink to write under load before the outage", Duration.ofSeconds(60),
                    () -> sink.health().up() && stats.committedPosition.get() > 0);
            pg.stop();
            long stoppedAt = produced.get();
            Thread.sleep(30_000); // the scenario: a 30 s outage under load
            long duringOutage = produced.get() - stoppedAt;
            assertTrue(!sink.health().up(), "the sink noticed the outage");
            pg.start();
            Thread.sleep(3000); // the scenario: load goes on for 3 s after the restart, while the sink reconnects
            producing.set(false);
            producer.join();
            writer.flush();

            long restarted = System.nanoTime();
            // The loop marks itself running after it moved its cursor, so wait for both.
            Await.until("caught up and running after the outage", Duration.ofSeconds(90),
                    () -> stats.committedPosition.get() >= writer.flushedPosition()
                            && sink.health().state() == SinkHealth.State.RUNNING);
            assertEquals(writer.flushedPosition(), stats.committedPosition.get(), "caught up after the outage");
            long catchUpMillis = (System.nanoTime() - restarted) / 1_000_000;
            sink.stop(Duration.ofSeconds(5));
            // A tenth of the nominal 60,000: the producer's pace is a sleep, which a loaded machine stretches.
            assertTrue(duringOutage > 6_000, "events kept arriving during the outage: " + duringOutage);
            assertTrue(stats.failures.get() > 0);

            long rows = testDb.count("SELECT count(*) FROM email_events");
            long distinct = testDb.count("SELECT count(DISTINCT event_id) FROM email_events");
            io.trackedge.sink.testing.FaultReport.record("postgres-stopped-30s",
                    "PostgreSQL (owned by the test) stopped for 30 s while 2,000 events/s are journaled",
                    produced.get(), produced.get(), rows, rows - distinct, Math.max(0, produced.get() - distinct),
                    catchUpMillis + " ms to catch up after the last event");
            assertEquals(produced.get(), rows);
            assertEquals(produced.get(), testDb.count("SELECT count(DISTINCT event_id) FROM email_events"));
            assertEquals(0, Recount.userAgentsMissing(testDb), "every stored User-Agent id has its text");
            List<List<String>> daily = Recount.compare(testDb);
            assertEquals(daily.get(1), daily.get(0));
            writer.close();
            db.close();
        }
    }
}
