package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.journal.EventRecord;
import io.trackedge.privacy.PrivacyPolicy;
import io.trackedge.sink.JournalClassifier;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.sink.testing.TestRecords;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two batches in flight that carry the same client event id (an ingest retry whose copies fall in
 * two batches). The later batch starts only once the earlier holds its locks: had it inserted the id
 * first, the earlier would wait in PostgreSQL for the later, and the later in Java for the earlier,
 * with nothing to break the cycle. Here the earlier batch is held at its client ids by another
 * transaction, as a slow statement would hold it.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CommitPipelineOrderIT {

    private static final UUID TENANT = UUID.fromString("12121212-1212-4121-8121-121212121212");

    @Test
    void theLaterBatchWaitsForTheEarlierOnesLocksBeforeTakingItsOwn() throws Exception {
        try (TestDatabase testDb = TestDatabase.migrated();
             Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 4);
             CommitPipeline pipeline = new CommitPipeline(db, BatchWriter.SINK, "test", UUID.randomUUID(), PrivacyPolicy.keepAll(), refused -> { }, reused -> { }, new MovedTenants());
             Connection holder = testDb.connect()) {
            try (Connection c = db.dataSource().getConnection()) {
                pipeline.cursorWriter().initCursor(c);
            }
            UUID first = UUID.randomUUID();
            UUID retried = UUID.randomUUID();
            // Another transaction holds the earlier batch's first id: its insert waits there.
            holder.setAutoCommit(false);
            try (Statement s = holder.createStatement()) {
                s.execute("INSERT INTO ingest_event_ids (tenant_id, event_id, event_type) VALUES ('" + TENANT + "', '" + first + "', 'sent')");
            }
            JournalClassifier.Classified none = new JournalClassifier.Classified(null, List.of());
            CompletableFuture<Integer> earlier = pipeline.submit(List.of(sent(first, "a"), sent(retried, "b")), none, 0, 2);
            CompletableFuture<Integer> later = pipeline.submit(List.of(sent(retried, "b")), none, 2, 3);
            int holderPid = TestDatabase.backendPid(holder);
            Await.until("the earlier batch waiting at its client ids", Duration.ofSeconds(30), () -> testDb.waitingOn(holderPid) == 1);
            // This database's locks only: another database on the server, migrated alike, has the same table oids.
            assertEquals(0, testDb.count("SELECT count(*) FROM pg_locks WHERE granted AND relation = 'erasure_audit'::regclass"
                    + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"), "the later batch took no lock yet");

            holder.rollback();
            assertEquals(2, earlier.get(30, TimeUnit.SECONDS));
            assertEquals(0, later.get(30, TimeUnit.SECONDS), "the retried id was the earlier batch's");
            assertEquals(1, testDb.count("SELECT count(*) FROM email_events WHERE event_id = '" + retried + "'"));
            assertEquals(1, testDb.count("SELECT count(*) FROM email_events WHERE event_id = '" + first + "'"));
            assertEquals(3, testDb.count("SELECT position FROM sink_cursors"));
        }
    }

    private static EventRecord sent(UUID id, String email) {
        return TestRecords.clientSent(TENANT, id, email);
    }
}
