package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.classify.ClassifierSettings;
import io.trackedge.classify.ListSource;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.journal.EventType;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.privacy.Erasure;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.SinkStats;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.HeldErasure;
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
 * A re-score ({@code trackedge classify}) beside an erasure of an email it re-scores. The re-score took no erasure
 * lock: the erasure deleted the email's human opens, and before it reached the email's events, the re-score turned
 * an open human and wrote its human open, which the erasure, past that table, never deleted. Now the re-score takes
 * {@code erasure_audit} in SHARE mode first, as a sink's batch does: it waits for the erasure and then finds nothing
 * of the email to re-score.
 *
 * <p>The erasure is held between its delete of {@code email_human_opens} and that of {@code email_bounces} by a
 * connection holding {@code email_bounces} (which the re-score never touches); every step waits on a lock wait seen in
 * {@code pg_locks}.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RescoreBesideAnErasureIT {

    private static final long SECOND = 1_000_000L;
    private static final String EMAIL = "erased-while-rescored";

    @TempDir
    Path journalDir;

    @Test
    void aRescoreBesideAnErasureLeavesNoHumanOpenOfTheErasedEmail() throws Exception {
        try (TestDatabase testDb = TestDatabase.create();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 4);
             JournalWriter w = JournalWriter.open(journalDir, 4L << 20, 1L << 30, new JournalStats());
             ExecutorService threads = Executors.newFixedThreadPool(2)) {
            db.migrate();
            SinkStats stats = new SinkStats();
            SinkLoop sink = Sinks.postgres(db, journalDir, w::flushedPosition, UUID.randomUUID(), 100, Duration.ofMillis(2),
                    Duration.ofMillis(500), stats);
            sink.start();
            long t = System.currentTimeMillis() * 1000 - 3600 * SECOND;
            new Scripted(w, Scripted.TENANT).append(EventType.OPEN, EMAIL, t, Scripted.ip(198, 51, 100, 7), Scripted.FIREFOX, null, 0);
            Await.until("the open committed", Duration.ofSeconds(30), () -> stats.committedPosition.get() >= w.flushedPosition());
            assertTrue(sink.stop(Duration.ofSeconds(5)));
            // Stored as a machine's, with no human open, so that the re-score turns it human and writes one. Its first
            // open's row is left human: the re-score has nothing to change there, where the erasure's delete is.
            try (Connection c = testDb.connect(); Statement s = c.createStatement()) {
                s.executeUpdate("UPDATE email_event_rows SET is_machine = true, automation = automation_code('bot'),"
                        + " certainty = certainty_code('certain')");
                s.executeUpdate("DELETE FROM email_human_opens");
            }

            CompletableFuture<Erasure.Result> erasure;
            CompletableFuture<Rescore.Result> rescore;
            boolean rescoreWaitedForTheErasure;
            try (HeldErasure held = HeldErasure.start(testDb, db, Scripted.TENANT, EMAIL, threads)) {
                erasure = held.result();
                rescore = CompletableFuture.supplyAsync(() -> {
                    try (Connection c = db.dataSource().getConnection()) {
                        c.setAutoCommit(false);
                        Rescore.Result r = new Rescore(ClassifierSettings.DEFAULTS, ListSource.snapshot())
                                .run(c, Instant.EPOCH, Instant.now().plusSeconds(60), null);
                        c.commit();
                        return r;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, threads);
                Await.until("the re-score done, or waiting for the erasure", Duration.ofSeconds(30),
                        () -> rescore.isDone() || testDb.waitingForLockOn("erasure_audit") == 1);
                rescoreWaitedForTheErasure = !rescore.isDone();
            }
            Erasure.Result erased = erasure.get(30, TimeUnit.SECONDS);
            rescore.get(30, TimeUnit.SECONDS);

            assertEquals(0, testDb.count("SELECT count(*) FROM email_human_opens WHERE email_id = '" + EMAIL + "'"),
                    "the re-score wrote the erased email's human open back");
            assertEquals(0, testDb.count("SELECT count(*) FROM email_events WHERE email_id = '" + EMAIL + "'"));
            assertEquals(1L, erased.deleted().get("email_events"), erased.toString());
            assertTrue(rescoreWaitedForTheErasure, "the re-score ran beside the erasure instead of waiting for it");
        }
    }
}
