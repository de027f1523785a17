package io.trackedge.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.sink.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The appender's hold on the journal writer: a shut waits for the use in progress, and none follows. */
class WriterGateTest {

    /** A thread per task: the common pool may have one thread, which a failed test would leave blocked. */
    private static void ownThread(Runnable task) {
        new Thread(task, "writer").start();
    }

    @Test
    void aShutWaitsForTheUseInProgressThenRunsTheLastUseAndRefusesEveryLaterOne() throws Exception {
        WriterGate gate = new WriterGate();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            assertTrue(gate.enter());
            try {
                inside.countDown();
                leave.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                gate.exit();
            }
        }, WriterGateTest::ownThread);
        assertTrue(inside.await(10, TimeUnit.SECONDS));
        List<String> order = new CopyOnWriteArrayList<>();
        boolean[] letGo = {false};
        Thread shutter = new Thread(() -> {
            try {
                letGo[0] = gate.shut(10, TimeUnit.SECONDS, () -> order.add("last use"));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "shutter");
        shutter.start();
        try {
            Await.until("the shut to wait behind the write", Duration.ofSeconds(10), shutter::getState,
                    s -> s == Thread.State.TIMED_WAITING);
            assertEquals(List.of(), order);
            order.add("write returned");
        } finally {
            leave.countDown();
        }
        writer.get(10, TimeUnit.SECONDS);
        shutter.join(TimeUnit.SECONDS.toMillis(10));
        assertTrue(letGo[0]);
        assertEquals(List.of("write returned", "last use"), order);
        assertFalse(gate.enter(), "entered after the shut");
    }

    @Test
    void aShutThatTimesOutLeavesTheWriterToTheUseInProgressAndThatUseIsTheLast() throws Exception {
        WriterGate gate = new WriterGate();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        CompletableFuture<Boolean> writer = CompletableFuture.supplyAsync(() -> {
            assertTrue(gate.enter());
            try {
                inside.countDown();
                leave.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                gate.exit();
            }
            return gate.enter(); // its next use, after the shut gave up
        }, WriterGateTest::ownThread);
        assertTrue(inside.await(10, TimeUnit.SECONDS));
        AtomicInteger lastUses = new AtomicInteger();
        try {
            assertFalse(gate.shut(50, TimeUnit.MILLISECONDS, lastUses::incrementAndGet), "let go while still in a write");
            assertEquals(0, lastUses.get(), "the last use ran beside the write");
        } finally {
            leave.countDown();
        }
        assertFalse(writer.get(10, TimeUnit.SECONDS), "a use followed the one in progress");
    }
}
