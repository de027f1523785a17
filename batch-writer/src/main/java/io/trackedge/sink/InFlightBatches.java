package io.trackedge.sink;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The batches a sink loop has handed to its sink and not yet seen committed, oldest first, at most
 * {@link Sink#maxInFlight}. Commits are taken in journal order; the first failure is thrown with
 * its batch. Confined to the loop's thread.
 */
final class InFlightBatches {

    /** A batch that failed, with the failure. */
    static final class BatchFailed extends Exception {
        private static final long serialVersionUID = 1L;
        final transient Batch batch;

        BatchFailed(Batch batch, Throwable cause) {
            super(cause);
            this.batch = batch;
        }
    }

    /** Told of each batch committed, in journal order, with the rows the destination took. */
    interface Committed {
        void committed(Batch batch, Integer rows);
    }

    private record InFlight(Batch batch, CompletableFuture<Integer> done) {
    }

    private final Sink sink;
    private final Committed committed;
    private final ArrayDeque<InFlight> queue = new ArrayDeque<>();

    InFlightBatches(Sink sink, Committed committed) {
        this.sink = sink;
        this.committed = committed;
    }

    /** Hands {@code b} to the sink, first waiting for the oldest while the sink has as many as it takes. */
    void write(Batch b) throws BatchFailed, InterruptedException {
        while (queue.size() >= sink.maxInFlight()) {
            reapOldest();
        }
        CompletableFuture<Integer> f;
        try {
            f = sink.write(b);
        } catch (Exception | Error e) { // an Error too: a StackOverflowError on one event's data is the event's (Failures)
            // The batches before it are committed or fail on their own: their commits are counted (the lag
            // stayed up for good by their events), and the first of them to fail is the failure in journal order.
            while (!queue.isEmpty()) {
                reapOldest();
            }
            throw new BatchFailed(b, e);
        }
        queue.add(new InFlight(b, f));
    }

    /** When the edge took in the oldest event in flight (epoch micros), or 0 when none is. */
    long oldestReceivedAtMicros() {
        for (InFlight f : queue) {
            long at = f.batch().firstReceivedAtMicros();
            if (at != 0) {
                return at;
            }
        }
        return 0;
    }

    /** Takes the commits that are done already, without waiting. */
    void reapDone() throws BatchFailed, InterruptedException {
        while (!queue.isEmpty() && queue.peekFirst().done().isDone()) {
            reapOldest();
        }
    }

    /** Waits for every batch in flight. */
    void awaitAll() throws BatchFailed, InterruptedException {
        while (!queue.isEmpty()) {
            reapOldest();
        }
    }

    /** After a failure: waits for the rest to end, ignoring their failures (they follow from it). */
    void awaitQuietly() {
        while (!queue.isEmpty()) {
            try {
                queue.pollFirst().done().get();
            } catch (ExecutionException | RuntimeException ignored) {
                // the first failure is the one being handled; the later ones follow from it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                queue.clear();
            }
        }
    }

    private void reapOldest() throws BatchFailed, InterruptedException {
        InFlight f = queue.pollFirst();
        try {
            committed.committed(f.batch(), f.done().get());
        } catch (ExecutionException e) {
            throw new BatchFailed(f.batch(), Failures.unwrap(e));
        }
    }
}
