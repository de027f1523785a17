package io.trackedge.sink.postgres;

import io.trackedge.journal.EventRecord;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.IntConsumer;
import org.jooq.exception.DataAccessException;

/**
 * Keeps two batches in flight on two connections: while one batch runs its first-touch inserts,
 * daily upsert and commit, the next one already streams its COPY. Commits stay in journal order
 * (each batch waits for its predecessor before locking the cursor), and a failure fails every
 * batch after it, so the sink restarts from the committed cursor with nothing written twice.
 *
 * <p>Used by the sink's thread only.
 */
final class CommitPipeline implements AutoCloseable {

    static final int DEPTH = 2;
    /** First touches remembered as written: 1M keys, 16 MiB. */
    static final int KNOWN_FIRST_TOUCHES = 1 << 20;

    private final Database db;
    private final BatchWriter[] writers = new BatchWriter[DEPTH];
    private final ExecutorService workers;
    private final Deque<CompletableFuture<Void>> inFlight = new ArrayDeque<>();
    private CompletableFuture<Void> last = CompletableFuture.completedFuture(null);
    private int submitted;

    CommitPipeline(Database db, UUID edgeNode) {
        this.db = db;
        KnownFirstTouches known = new KnownFirstTouches(KNOWN_FIRST_TOUCHES);
        for (int i = 0; i < DEPTH; i++) {
            writers[i] = new BatchWriter(edgeNode, known);
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
     * Starts writing {@code batch} (which the pipeline now owns); blocks while {@link #DEPTH}
     * batches are in flight. {@code onCommitted} gets the rows written, after the commit, in journal order.
     *
     * @throws SQLException or another failure of an earlier batch
     */
    void submit(List<EventRecord> batch, long start, long end, IntConsumer onCommitted) throws SQLException, CursorMovedException {
        while (inFlight.size() >= DEPTH) {
            awaitOldest();
        }
        CompletableFuture<Void> predecessor = last;
        BatchWriter writer = writers[submitted++ % DEPTH];
        CompletableFuture<Void> f = CompletableFuture.runAsync(() -> {
            int rows;
            try (Connection c = db.dataSource().getConnection()) {
                rows = writer.write(c, batch, start, end, predecessor::join);
            } catch (SQLException | CursorMovedException e) {
                throw new CompletionException(e);
            }
            onCommitted.accept(rows);
        }, workers);
        inFlight.add(f);
        last = f;
    }

    boolean idle() {
        return inFlight.isEmpty();
    }

    /** Waits for every batch in flight; throws the first failure. */
    void awaitAll() throws SQLException, CursorMovedException {
        while (!inFlight.isEmpty()) {
            awaitOldest();
        }
    }

    /** Waits for every batch in flight to end, ignoring failures (the caller already has one). */
    void awaitQuietly() {
        while (!inFlight.isEmpty()) {
            try {
                inFlight.poll().join();
            } catch (CompletionException ignored) {
                // its failure is the one being handled, or one caused by it
            }
        }
        last = CompletableFuture.completedFuture(null);
    }

    private void awaitOldest() throws SQLException, CursorMovedException {
        CompletableFuture<Void> f = inFlight.poll();
        try {
            f.join();
        } catch (CompletionException e) {
            awaitQuietly();
            Throwable cause = e.getCause();
            // a batch whose predecessor failed fails with that failure wrapped once more
            while (cause instanceof CompletionException && cause.getCause() != null) {
                cause = cause.getCause();
            }
            if (cause instanceof SQLException s) {
                throw s;
            }
            if (cause instanceof CursorMovedException m) {
                throw m;
            }
            if (cause instanceof DataAccessException d) {
                throw d;
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(cause);
        }
    }

    @Override
    public void close() {
        awaitQuietly();
        workers.shutdownNow();
    }
}
