package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.journal.EventType;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkStats;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.Sinks;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.sink.testing.TestEvents;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A day on which a sequence sends one follow-up while 1,200 emails of the day before are first
 * opened: daily_analytics' open rate for the day is 120,000 %. Up to V31 the column held at most
 * 99,999.99, the daily upsert failed with a numeric overflow and the loop set the opens aside as bad
 * events; every event is written now, none set aside.
 */
class DailyRatesIT {

    private static final UUID TENANT = UUID.fromString("66666666-6666-4666-8666-666666666666");

    @Test
    void aDayWithFarMoreFirstOpensThanSendsIsCountedNotSetAside() throws Exception {
        long day = Math.floorDiv(System.currentTimeMillis(), 86_400_000L) * 86_400_000_000L; // today, UTC: both on one day
        long now = day + 3_000_000L;
        int opens = 1_200;
        try (TestDatabase testDb = TestDatabase.create()) {
            Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 4);
            Path journalDir = Files.createTempDirectory("daily-rates-it-");
            try (JournalWriter journal = JournalWriter.open(journalDir, 4L << 20, 1L << 30, new JournalStats())) {
                db.migrate();
                TestEvents events = new TestEvents(journal);
                events.append(EventType.SENT, TENANT, "follow-up", now - 2_000_000L, null, null);
                for (int i = 0; i < opens; i++) {
                    events.append(EventType.OPEN, TENANT, "yesterdays-" + i, now - 1_000_000L, "198.51.100.7", TestEvents.FIREFOX);
                }
                journal.flush();
                SinkStats stats = new SinkStats();
                SinkLoop loop = Sinks.postgres(db, journalDir, journal::flushedPosition, UUID.randomUUID(), 500,
                        Duration.ofMillis(2), Duration.ofMillis(500), stats);
                loop.start();
                try {
                    Await.until("the sink caught up", Duration.ofSeconds(60),
                            () -> stats.committedPosition.get() == journal.flushedPosition());
                } finally {
                    loop.stop(Duration.ofSeconds(5));
                }
                assertEquals(0, stats.badEvents.get(), "none set aside");
                assertEquals(0, testDb.count("SELECT count(*) FROM bad_events"));
                assertEquals(opens + 1, testDb.count("SELECT count(*) FROM email_events"));
                assertEquals(List.of("1|1200|120000.00"), testDb.rows("SELECT emails_sent || '|' || opens_unique || '|' || open_rate "
                        + "FROM daily_analytics WHERE tenant_id = '" + TENANT + "'"));
            } finally {
                db.close();
            }
        }
    }
}
