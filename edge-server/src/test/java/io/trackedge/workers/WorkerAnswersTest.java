package io.trackedge.workers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every request given to a worker is answered: before, an {@link Error} thrown on a stats, dashboard or
 * erasure worker left the request's future pending, and its client waiting, for ever.
 */
class WorkerAnswersTest {

    // One thread, one queued task: the third submission is refused.
    private final ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1));

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void theWorksAnswerOrTheFailuresForAnythingItThrows() throws Exception {
        assertEquals("200", WorkerAnswers.submit(pool, () -> "200", e -> "500", () -> "503").get(5, TimeUnit.SECONDS));
        assertEquals("500 NoClassDefFoundError", WorkerAnswers.submit(pool, () -> {
            throw new NoClassDefFoundError("io/trackedge/GoneAfterAnUpgrade");
        }, e -> "500 " + e.getClass().getSimpleName(), () -> "503").get(5, TimeUnit.SECONDS));
        assertEquals("500 SQLException", WorkerAnswers.submit(pool, () -> {
            throw new java.sql.SQLException("checked, too");
        }, e -> "500 " + e.getClass().getSimpleName(), () -> "503").get(5, TimeUnit.SECONDS));
    }

    @Test
    void aFullPoolIsAnsweredBusyAtOnce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<String> running = WorkerAnswers.submit(pool, () -> {
            release.await();
            return "first";
        }, e -> "500", () -> "503");
        CompletableFuture<String> queued = WorkerAnswers.submit(pool, () -> "second", e -> "500", () -> "503");
        CompletableFuture<String> refused = WorkerAnswers.submit(pool, () -> "third", e -> "500", () -> "503");
        assertTrue(refused.isDone());
        assertEquals("503", refused.get());
        release.countDown();
        assertEquals("first", running.get(5, TimeUnit.SECONDS));
        assertEquals("second", queued.get(5, TimeUnit.SECONDS));
    }

    @Test
    void aFailureHandlerThatThrowsStillCompletesTheFuture() {
        CompletableFuture<String> f = WorkerAnswers.submit(pool, () -> {
            throw new IllegalStateException("the work's");
        }, e -> {
            throw new OutOfMemoryError("the handler's");
        }, () -> "503");
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
        assertInstanceOf(OutOfMemoryError.class, e.getCause());
    }

    @Test
    void anInterruptedWorkKeepsItsThreadsInterruptFlag() {
        String answer = WorkerAnswers.answer(() -> {
            throw new InterruptedException("stopping");
        }, e -> Thread.currentThread().isInterrupted() ? "interrupted" : "flag lost");
        assertEquals("interrupted", answer);
        assertTrue(Thread.interrupted(), "still set for the caller; cleared here");
    }
}
