package io.trackedge.sink.posthog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.Segments;
import io.trackedge.sink.SinkCursors;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkStats;
import io.trackedge.sink.bad.FileBadEventStore;
import io.trackedge.sink.testing.Sinks;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.postgres.PostgresSink;
import io.trackedge.sink.testing.FakePostHog;
import io.trackedge.sink.testing.SyntheticEvents;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Both sinks on one journal, as the edge runs them: PostHog down does not pause PostgreSQL, the
 * journal keeps every segment PostHog has not passed, and PostHog catches up when it is back.
 */
class PostHogBesidePostgresIT {

    private static final String KEY = "phc_beside";

    private TestDatabase testDb;
    private Database db;
    private Path dataDir;
    private Path journalDir;
    private JournalWriter writer;
    private FakePostHog fake;

    @BeforeEach
    void setUp() throws Exception {
        testDb = TestDatabase.create();
        db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 4);
        db.migrate();
        dataDir = Files.createTempDirectory("posthog-beside-");
        journalDir = dataDir.resolve("journal");
        // Small segments, so that the events span several and releasing them can be seen.
        writer = JournalWriter.open(journalDir, 4L << 20, 1L << 30, new JournalStats());
        fake = FakePostHog.start(KEY);
    }

    @AfterEach
    void tearDown() throws Exception {
        fake.close();
        writer.close();
        db.close();
        testDb.close();
    }

    private static void await(String what, Duration timeout, java.util.function.BooleanSupplier done) {
        io.trackedge.sink.testing.Await.until(what, timeout, done::getAsBoolean);
    }

    interface Fault {
        void apply() throws Exception;
    }

    @Test
    void postgresKeepsGoingWhilePostHogIsDownAndTheJournalWaitsForPostHog() throws Exception {
        run("down", 60_000, fake::down, fake::up);
    }

    @Test
    void postgresKeepsGoingWhilePostHogHangsPastItsTimeout() throws Exception {
        run("hanging", 30_000, () -> fake.slow(Duration.ofSeconds(5)), () -> fake.slow(Duration.ZERO));
    }

    /**
     * PostHog down longer than the journal's cap holds: the journal does not fill to the cap, which would
     * drop new events for PostgreSQL too (and SyntheticEvents would throw "journal full"). PostHog gives
     * up the oldest events PostgreSQL has written once the journal passes nine tenths of its cap, counts
     * them, and sends the rest once it is back.
     */
    @Test
    void postHogGivesUpItsOldestEventsRatherThanTheJournalDroppingNewOnes() throws Exception {
        writer.close();
        JournalStats journalStats = new JournalStats();
        writer = JournalWriter.open(dataDir.resolve("small-journal"), 4L << 20, 16L << 20, journalStats); // 4 segments
        Path small = writer.directory();
        UUID node = UUID.randomUUID();
        SinkCursors cursors = new SinkCursors(writer::releaseBefore);
        SinkStats pg = new SinkStats();
        PostHogStats phStats = new PostHogStats();
        SinkStats ph = new SinkStats();
        SinkLoop postgres = new SinkLoop(new PostgresSink(db, node, new PostgresSink.Settings(false, 0)), small,
                writer::flushedPosition, Sinks.settings(2000, Duration.ofMillis(2), Duration.ofMillis(500)), pg,
                cursors.register("postgres"));
        PostHogSettings settings = new PostHogSettings(fake.host(), KEY, 500, 1 << 20, Duration.ofMillis(5),
                Duration.ofSeconds(2), Duration.ofMillis(200), Duration.ofHours(24), false, true);
        java.util.function.LongSupplier floor = new JournalRoom(writer, cursors)::floor;
        SinkLoop posthog = new SinkLoop(new PostHogSink(small, writer::flushedPosition, node, dataDir.resolve("small-cursor"),
                settings, phStats, new FileBadEventStore(dataDir.resolve("small-bad.ndjson")), System::currentTimeMillis,
                io.trackedge.sink.JournalClassifier.disabled(), io.trackedge.privacy.PrivacyPolicy.keepAll(), floor),
                small, writer::flushedPosition, Sinks.settings(500, Duration.ofMillis(5), Duration.ofMillis(200)), ph,
                cursors.register(PostHogSink.NAME));
        fake.down();
        postgres.start();
        posthog.start();

        int events = 150_000; // about 22 MiB of journal
        SyntheticEvents gen = new SyntheticEvents(12, 5000);
        for (int i = 0; i < events; i++) {
            gen.append(writer);
            if (i % 5000 == 4999) {
                writer.flush();
                postgres.wakeUp();
                posthog.wakeUp();
                long written = writer.flushedPosition();
                await("PostgreSQL writes the chunk", Duration.ofSeconds(60), () -> pg.committedPosition.get() == written);
                await("PostHog gives up what the journal needs the room of", Duration.ofSeconds(60),
                        () -> ph.committedPosition.get() >= floor.getAsLong());
                writer.flush(); // hands the released segments over for deletion
                writer.awaitFileWork();
            }
        }
        writer.flush();
        long end = writer.flushedPosition();
        assertEquals(0, journalStats.droppedAtCap.get(), "no event dropped at the cap");
        assertEquals(events, testDb.count("SELECT count(*) FROM email_events"), "PostgreSQL has every event");
        assertTrue(phStats.skippedForRoom.get() > 0, "PostHog gave some up");
        assertEquals(0, phStats.skippedMaxLag.get());

        fake.up();
        await("PostHog sends the rest", Duration.ofSeconds(120), () -> ph.committedPosition.get() == end);
        // PostHog refused every connection, so no try delivered anything: each event is sent, or counted as given up
        assertEquals(events, fake.uuids().size() + phStats.skippedForRoom.get(), "each event sent or counted as given up, once");
        assertTrue(postgres.stop(Duration.ofSeconds(5)));
        assertTrue(posthog.stop(Duration.ofSeconds(5)));
    }

    private void run(String what, int events, Fault breakPostHog, Fault healPostHog) throws Exception {
        UUID node = UUID.randomUUID();
        SinkCursors cursors = new SinkCursors(writer::releaseBefore);
        SinkStats pg = new SinkStats();
        PostHogStats phStats = new PostHogStats();
        SinkStats ph = new SinkStats();
        SinkLoop postgres = new SinkLoop(new PostgresSink(db, node, new PostgresSink.Settings(false, 0)), journalDir,
                writer::flushedPosition, Sinks.settings(2000, Duration.ofMillis(2), Duration.ofMillis(500)), pg,
                cursors.register("postgres"));
        PostHogSettings settings = new PostHogSettings(fake.host(), KEY, 500, 1 << 20, Duration.ofMillis(5),
                Duration.ofSeconds(2), Duration.ofMillis(500), Duration.ofHours(24), false, true);
        SinkLoop posthog = new SinkLoop(new PostHogSink(journalDir, writer::flushedPosition, node, dataDir.resolve("posthog-cursor"),
                settings, phStats, new FileBadEventStore(dataDir.resolve("bad-events.ndjson")), System::currentTimeMillis),
                journalDir, writer::flushedPosition, Sinks.settings(500, Duration.ofMillis(5), Duration.ofMillis(500)), ph,
                cursors.register("posthog"));
        breakPostHog.apply();
        postgres.start();
        posthog.start();

        long t0 = System.nanoTime();
        SyntheticEvents gen = new SyntheticEvents(11, 5000);
        for (int i = 0; i < events; i++) {
            gen.append(writer);
            if (i % 500 == 499) {
                writer.flush();
                postgres.wakeUp();
                posthog.wakeUp();
            }
        }
        writer.flush();
        long end = writer.flushedPosition();
        assertTrue(Segments.list(journalDir).size() >= 2, "the events span several segments");

        await("PostgreSQL catches up while PostHog is down", Duration.ofSeconds(120),
                () -> pg.committedPosition.get() == end);
        long pgMillis = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("postgres committed %d events in %d ms while PostHog was %s (%d failed PostHog attempts)%n",
                events, pgMillis, what, ph.failures.get());
        assertEquals(events, testDb.count("SELECT count(*) FROM email_events"));
        assertEquals(0, ph.committedPosition.get(), "PostHog's cursor has not moved");
        await("a failed PostHog attempt", Duration.ofSeconds(30), () -> ph.failures.get() > 0);

        writer.flush(); // the writer hands released segments over for deletion at its next flush
        writer.awaitFileWork();
        assertEquals(0L, Segments.list(journalDir).get(0), "no segment is deleted before PostHog passed it");
        assertEquals(0, cursors.min());

        healPostHog.apply();
        long healed = System.nanoTime();
        await("PostHog catches up", Duration.ofSeconds(120), () -> ph.committedPosition.get() == end);
        long phMillis = (System.nanoTime() - healed) / 1_000_000;
        Set<UUID> journaled = new HashSet<>(Journaled.ids(journalDir));
        Set<UUID> received = fake.uuids(); // a copy: take it once
        io.trackedge.sink.testing.FaultReport.record("posthog-" + what,
                "PostHog capture server " + what + " while " + events + " events are journaled",
                events, events, received.size(), 0, journaled.stream().filter(id -> !received.contains(id)).count(),
                "PostgreSQL unaffected (" + pgMillis + " ms for all rows); PostHog caught up " + phMillis + " ms after it came back");
        assertEquals(journaled, received);
        assertEquals(events, fake.uuids().size());

        writer.flush(); // hands the segments both sinks passed to the journal's closer thread, which deletes them
        writer.awaitFileWork();
        List<Long> left = Segments.list(journalDir);
        assertTrue(left.get(0) > 0, "segments both sinks passed are deleted: " + left);
        assertEquals(1, left.size(), "only the segment being written is kept: " + left);

        assertTrue(postgres.stop(Duration.ofSeconds(5)));
        assertTrue(posthog.stop(Duration.ofSeconds(5)));
    }
}
