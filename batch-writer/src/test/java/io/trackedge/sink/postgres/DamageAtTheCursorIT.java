package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.classify.ClassifierSettings;
import io.trackedge.classify.ListSource;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.journal.EventType;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.sink.JournalClassifier;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkStats;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.JournalDamage;
import io.trackedge.sink.testing.Scripted;
import io.trackedge.sink.testing.Sinks;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A damaged record just where the Postgres sink's cursor stands: the first batch read after it starts
 * past the damage. This sink checks that each batch starts at its cursor (exactly once), so the cursor
 * must pass the damage on its own; before it did, the sink refused that batch on every retry and
 * stalled for good. The other records land once, and a refused event right after the damage is set
 * aside as usual.
 */
class DamageAtTheCursorIT {

    private TestDatabase testDb;
    private Database db;
    private Path journalDir;
    private JournalWriter writer;

    @BeforeEach
    void setUp() throws Exception {
        testDb = TestDatabase.create();
        db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 4);
        db.migrate();
        journalDir = Files.createTempDirectory("damage-at-cursor-it-");
        writer = JournalWriter.open(journalDir, 4L << 20, 1L << 30, new JournalStats());
    }

    @AfterEach
    void tearDown() throws Exception {
        writer.close();
        db.close();
        testDb.close();
    }

    @Test
    void theFirstRecordDamagedCostsItAloneAndTheSinkGoesOn() throws Exception {
        List<UUID> ids = opens(10, null);
        JournalDamage.flipRecord(journalDir, writer::flushedPosition, 0);
        SinkStats stats = run();
        assertEquals(ids.subList(1, 10).stream().map(UUID::toString).sorted().toList(),
                testDb.rows("SELECT event_id FROM email_events ORDER BY 1"));
        assertEquals(1, stats.journalDamagedRegions.get());
        assertEquals(0, testDb.count("SELECT count(*) FROM bad_events"));
    }

    @Test
    void aRefusedEventRightAfterTheDamageIsSetAsideAndTheRestLand() throws Exception {
        List<UUID> ids = opens(10, 1); // the second record's User-Agent holds U+0000: PostgreSQL refuses its text
        JournalDamage.flipRecord(journalDir, writer::flushedPosition, 0);
        run();
        assertEquals(ids.subList(2, 10).stream().map(UUID::toString).sorted().toList(),
                testDb.rows("SELECT event_id FROM email_events ORDER BY 1"));
        assertEquals(List.of(ids.get(1).toString()), testDb.rows("SELECT event_id FROM bad_events"));
    }

    /** {@code n} opens of distinct emails, the {@code poisoned}-th (or none) with a User-Agent PostgreSQL refuses. */
    private List<UUID> opens(int n, Integer poisoned) {
        Scripted s = new Scripted(writer, Scripted.TENANT);
        long t = System.currentTimeMillis() * 1000 - 60_000_000L;
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String ua = poisoned != null && poisoned == i ? "Mozilla/5.0 \u0000" : Scripted.FIREFOX;
            ids.add(s.append(EventType.OPEN, "e-" + i, t + i, Scripted.ip(198, 51, 100, 10 + i), ua, null, 0));
        }
        return ids;
    }

    /** Runs the Postgres sink over the journal until its cursor is at the journal's end. */
    private SinkStats run() throws Exception {
        SinkStats stats = new SinkStats();
        SinkLoop sink = new SinkLoop(new PostgresSink(db, UUID.randomUUID(), new PostgresSink.Settings(false, 0),
                JournalClassifier.of(ClassifierSettings.DEFAULTS, ListSource.snapshot())), journalDir, writer::flushedPosition,
                Sinks.settings(200, Duration.ofMillis(2), Duration.ofMillis(500)), stats, p -> { });
        sink.start();
        try {
            Await.until("the sink's cursor at the journal's end", Duration.ofSeconds(60),
                    () -> stats.committedPosition.get(), p -> p >= writer.flushedPosition());
        } finally {
            sink.stop(Duration.ofSeconds(5));
        }
        return stats;
    }
}
