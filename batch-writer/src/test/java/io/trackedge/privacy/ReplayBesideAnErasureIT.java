package io.trackedge.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.EventType;
import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.RecordCodec;
import io.trackedge.sink.BadRecord;
import io.trackedge.sink.bad.BadEvents;
import io.trackedge.sink.bad.UncheckedBadEvents;
import io.trackedge.sink.bad.ReplayOutcome;
import io.trackedge.sink.postgres.PostgresReplay;
import io.trackedge.sink.postgres.PostgresSink;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.HeldErasure;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replay of a set-aside event ({@code trackedge bad-events replay}) beside an erasure of its recipient. The replay
 * marked its {@code bad_events} row (a row lock) and then asked for {@code erasure_audit}, which the erasure held while
 * it went on to delete that very row: a deadlock, and PostgreSQL cancelled one of the two (40P01). Now the replay takes
 * the audit first, as the erasure does: it waits for the erasure, then finds its row gone and writes nothing.
 *
 * <p>The erasure is held after it took the audit, before its delete of {@code bad_events}, by a connection holding
 * {@code email_bounces}; each step waits on a lock wait seen in {@code pg_locks}.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ReplayBesideAnErasureIT {

    private static final UUID TENANT = UUID.fromString("0c0c0c0c-0c0c-4c0c-8c0c-0c0c0c0c0c0c");
    private static final UUID USER = UUID.fromString("0c0c0c0c-0c0c-4c0c-8c0c-0000000000aa");
    private static final String EMAIL = "erased-while-replayed";

    @TempDir
    Path journalDir;

    @Test
    void aReplayBesideAnErasureOfItsRecipientWaitsForItAndWritesNothing() throws Exception {
        try (TestDatabase testDb = TestDatabase.create();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 4);
             JournalWriter w = JournalWriter.open(journalDir, 4L << 20, 1L << 30, new JournalStats());
             ExecutorService threads = Executors.newFixedThreadPool(2)) {
            db.migrate();
            byte[] record = new JournalFixture(w).record(TENANT, USER, EventType.OPEN, EMAIL, JournalFixture.FULL_V4);
            EventRecord e = RecordCodec.decode(record, 0, record.length);
            try (Connection c = testDb.connect()) {
                UncheckedBadEvents.insert(c, PostgresSink.NAME, UUID.randomUUID(), new BadRecord(100, 101, record, e, "refused", "23514"));
            }
            List<BadEvents.Row> rows;
            try (Connection c = testDb.connect()) {
                rows = BadEvents.list(c, PostgresSink.NAME, false, 10);
            }

            CompletableFuture<Erasure.Result> erasure;
            CompletableFuture<ReplayOutcome> replay;
            try (HeldErasure held = HeldErasure.start(testDb, db, TENANT, EMAIL, threads)) {
                erasure = held.result();
                replay = CompletableFuture.supplyAsync(() -> {
                    try {
                        return new PostgresReplay(db).replay(rows).get(0);
                    } catch (Exception x) {
                        throw new IllegalStateException(x);
                    }
                }, threads);
                Await.until("the replay waiting for the erasure's audit lock", Duration.ofSeconds(30),
                        () -> replay.isDone() || testDb.waitingForLockOn("erasure_audit") == 1);
                assertFalse(replay.isDone(), "the replay ended beside the erasure: " + replay);
            }
            // In the other lock order PostgreSQL cancelled one of the two here (40P01): the erasure throws, or the
            // replay's outcome names the deadlock.
            Erasure.Result erased = erasure.get(30, TimeUnit.SECONDS);
            ReplayOutcome outcome = replay.get(30, TimeUnit.SECONDS);
            assertEquals(PostgresReplay.REPLAYED_ALREADY, outcome.error(), "its row went with the erasure: " + outcome);
            assertEquals(1L, erased.deleted().get("bad_events"), erased.toString());
            assertEquals(0, testDb.count("SELECT count(*) FROM bad_events"));
            assertEquals(0, testDb.count("SELECT count(*) FROM email_events"));
        }
    }
}
