package io.trackedge.sink.postgres;

import io.trackedge.db.Database;
import io.trackedge.journal.EventRecord;
import io.trackedge.sink.BadRecord;
import io.trackedge.sink.JournalClassifier;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.IntConsumer;

/**
 * Keeps up to {@link #DEPTH} batches in flight on as many connections: while one batch runs its
 * first-touch inserts, daily upsert and commit, the next one already streams its COPY. Commits stay
 * in journal order (each batch waits for its predecessor before locking the cursor, and checks the
 * cursor is at its start), and a failure fails the batch after it, so the loop restarts from the
 * committed cursor with nothing written twice. The sink loop bounds how many are in flight.
 *
 * <p>A batch starts only once its predecessor holds every lock it takes before that wait (its client
 * ids, {@code erasure_audit} in SHARE mode, {@code email_event_rows} for its COPY). Otherwise the
 * later batch could take one first and then wait in Java for the earlier, which waits in PostgreSQL
 * for the later (a client id in both), or queues behind an erasure or a retention run that waits for
 * the later: a cycle PostgreSQL's deadlock detector cannot see, and nothing would ever give way.
 *
 * <p>Used by the sink loop's thread only.
 */
final class CommitPipeline implements AutoCloseable {

    static final int DEPTH = 2;
    /** First touches remembered as written: 1M keys, 16 MiB. */
    static final int KNOWN_FIRST_TOUCHES = 1 << 20;

    private final Database db;
    private final KnownFirstTouches known = new KnownFirstTouches(KNOWN_FIRST_TOUCHES);
    private final KnownHumanOpens knownHumans = new KnownHumanOpens(KNOWN_FIRST_TOUCHES / 2);
    private final BatchWriter[] writers = new BatchWriter[DEPTH];
    private final ExecutorService workers;
    private CompletableFuture<Integer> last = CompletableFuture.completedFuture(0);
    /** Completes once the last batch submitted holds its locks, or has ended; never exceptionally. */
    private CompletableFuture<Void> lastLocked = CompletableFuture.completedFuture(null);
    private int submitted;

    /**
     * @param cursor the name of the cursor row ({@link BatchWriter})
     * @param host this machine's name, which the cursor row records and each batch checks ({@link CursorRow})
     * @param correctionsRefused told of corrections the database refused (from the commit threads)
     * @param clientIdsReused told of events not stored because their client id came first with another type (from the commit threads)
     * @param moved the tenants moved out of this cluster, which each batch checks for under its lock
     */
    CommitPipeline(Database db, String cursor, String host, UUID edgeNode, io.trackedge.privacy.PrivacyPolicy privacy, IntConsumer correctionsRefused,
                   java.util.function.Consumer<java.util.List<String>> clientIdsReused, MovedTenants moved) {
        this.db = db;
        EdgeNumber edgeNumber = new EdgeNumber(edgeNode);
        for (int i = 0; i < DEPTH; i++) {
            writers[i] = new BatchWriter(cursor, host, edgeNumber, known, knownHumans, privacy, correctionsRefused, clientIdsReused, moved);
        }
        this.workers = Executors.newFixedThreadPool(DEPTH, r -> {
            Thread t = new Thread(r, "sink-postgres-commit");
            t.setDaemon(true);
            return t;
        });
    }

    BatchWriter cursorWriter() {
        return writers[0];
    }

    /**
     * Starts writing {@code batch} (which the pipeline now owns). The future completes with the
     * rows written once the batch and its cursor are committed, after its predecessor's.
     */
    CompletableFuture<Integer> submit(List<EventRecord> batch, JournalClassifier.Classified classified, long start, long end) {
        // A predecessor that failed already has been dealt with by the loop; the cursor check
        // keeps the order either way.
        CompletableFuture<Integer> predecessor = last.isCompletedExceptionally() ? CompletableFuture.completedFuture(0) : last;
        CompletableFuture<Void> predecessorLocked = lastLocked;
        CompletableFuture<Void> locked = new CompletableFuture<>();
        BatchWriter writer = writers[submitted++ % DEPTH];
        CompletableFuture<Integer> f = CompletableFuture.supplyAsync(() -> {
            try {
                predecessorLocked.join();
                try (Connection c = db.dataSource().getConnection()) {
                    return writer.write(c, batch, classified, start, end, () -> locked.complete(null), predecessor::join);
                }
            } catch (SQLException | CursorMovedException e) {
                throw new CompletionException(e);
            } finally {
                locked.complete(null); // failed before its locks: the next one starts and fails on its predecessor
            }
        }, workers);
        last = f;
        lastLocked = locked;
        return f;
    }

    /** Sets a run of consecutive events aside on the caller's thread, in one transaction; nothing may be in flight. */
    void setAside(List<BadRecord> run) throws SQLException, CursorMovedException {
        try (Connection c = db.dataSource().getConnection()) {
            writers[0].setAside(c, run);
        }
    }

    /**
     * Forgets the last batch: the loop re-reads from the committed cursor. Also forgets which first
     * touches and User-Agents are known to be written: the loop reopens after a failure, and a
     * database that failed over to a standby behind it, or was restored, may have lost rows that
     * committed batches wrote; they are probed and inserted again rather than taken as written.
     * Called with nothing in flight (the loop awaits its batches before it reopens the sink).
     */
    void reset() {
        last = CompletableFuture.completedFuture(0);
        lastLocked = CompletableFuture.completedFuture(null);
        known.clear();
        knownHumans.clear();
        for (BatchWriter w : writers) {
            w.forgetWritten();
        }
    }

    @Override
    public void close() {
        workers.shutdownNow();
    }
}
