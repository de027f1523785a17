package io.trackedge.workers;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A request's blocking work on a worker pool, always answered: the work's value; what {@code failed}
 * makes of anything the work throws, an {@link Error} included (one uncaught on a pool thread ends the
 * task with nothing completed, and the client, whose request waits on it, waits for ever); or what
 * {@code busy} says when the pool refuses the work. The stats API, the dashboard, erasures and ingest
 * answer through it.
 */
public final class WorkerAnswers {

    /** Blocking work that gives a request its answer. */
    @FunctionalInterface
    public interface Work<T> {
        T run() throws Exception;
    }

    private WorkerAnswers() {
    }

    /**
     * Runs {@code work} on {@code pool}. The future completes with the work's answer, {@code failed}'s,
     * or {@code busy}'s; exceptionally only when {@code failed} itself throws.
     */
    public static <T> CompletableFuture<T> submit(Executor pool, Work<T> work, Function<Throwable, T> failed, Supplier<T> busy) {
        CompletableFuture<T> out = new CompletableFuture<>();
        try {
            pool.execute(() -> {
                try {
                    out.complete(answer(work, failed));
                } catch (Throwable t) { // failed threw (out of memory again): the caller still hears of it
                    out.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            out.complete(busy.get());
        }
        return out;
    }

    /** {@code work}'s answer, or {@code failed}'s for whatever it throws. On the caller's thread. */
    public static <T> T answer(Work<T> work, Function<Throwable, T> failed) {
        try {
            return work.run();
        } catch (Exception | Error e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return failed.apply(e);
        }
    }
}
