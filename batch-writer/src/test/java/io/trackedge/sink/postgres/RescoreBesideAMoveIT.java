package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.classify.ClassifierSettings;
import io.trackedge.classify.ListSource;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.journal.EventType;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkStats;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.Scripted;
import io.trackedge.sink.testing.Sinks;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A re-score rewrites first touches out of key order, as a batch's corrections do, so it waits for
 * a move of its tenant into the cluster (here a connection holding {@link TenantRewrites}' lock as
 * the move does) before it writes anything, and then makes its changes. A re-score of every tenant
 * waits for a move of any tenant.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RescoreBesideAMoveIT {

    private static final long SECOND = 1_000_000L;

    @TempDir
    Path journalDir;

    @Test
    void aRescoreOfTheTenantWaitsForTheMove() throws Exception {
        rescoreWhileAMoveHolds(Scripted.TENANT);
    }

    @Test
    void aRescoreOfEveryTenantWaitsForTheMove() throws Exception {
        rescoreWhileAMoveHolds(null);
    }

    private void rescoreWhileAMoveHolds(UUID tenantOrNull) throws Exception {
        try (TestDatabase testDb = TestDatabase.create();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 4);
             JournalWriter w = JournalWriter.open(journalDir, 4L << 20, 1L << 30, new JournalStats());
             ExecutorService thread = Executors.newSingleThreadExecutor()) {
            db.migrate();
            SinkStats stats = new SinkStats();
            SinkLoop sink = Sinks.postgres(db, journalDir, w::flushedPosition, UUID.randomUUID(), 100, Duration.ofMillis(2),
                    Duration.ofMillis(500), stats);
            sink.start();
            long t = System.currentTimeMillis() * 1000 - 3600 * SECOND;
            new Scripted(w, Scripted.TENANT).append(EventType.OPEN, "e-1", t, Scripted.ip(198, 51, 100, 7), Scripted.FIREFOX, null, 0);
            Await.until("the open committed", Duration.ofSeconds(30), () -> stats.committedPosition.get() >= w.flushedPosition());
            assertTrue(sink.stop(Duration.ofSeconds(5)));
            // stored wrong, so the re-score has a verdict to change
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.executeUpdate("UPDATE email_event_rows SET is_machine = true, automation = automation_code('bot'),"
                        + " certainty = certainty_code('certain')");
            }

            CompletableFuture<Rescore.Result> rescore;
            try (Connection move = testDb.connect()) {
                move.setAutoCommit(false);
                TenantRewrites.holdForMove(move, Scripted.TENANT);
                int movePid = TestDatabase.backendPid(move);
                rescore = CompletableFuture.supplyAsync(() -> {
                    try (Connection c = db.dataSource().getConnection()) {
                        c.setAutoCommit(false);
                        Rescore.Result r = new Rescore(ClassifierSettings.DEFAULTS, ListSource.snapshot())
                                .run(c, Instant.EPOCH, Instant.now().plusSeconds(60), tenantOrNull);
                        c.commit();
                        return r;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, thread);
                Await.until("the re-score waiting for the move", Duration.ofSeconds(30),
                        () -> rescore.isDone() || testDb.waitingOn(movePid) == 1);
                assertFalse(rescore.isDone(), "the re-score ended before the move let go");
                move.commit();
            }
            Rescore.Result r = rescore.get(30, TimeUnit.SECONDS);
            assertEquals(1, r.toHuman());
            assertEquals(1, testDb.count("SELECT count(*) FROM email_events WHERE NOT is_machine"));
        }
    }
}
