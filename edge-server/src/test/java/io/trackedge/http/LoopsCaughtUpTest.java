package io.trackedge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Regression: the stop waited for every event loop with no limit, so a loop stuck in a task (an
 * inline journal write on a disk that hangs) held the stop for ever. Now it waits up to a limit
 * and names the loop still busy, and where.
 */
class LoopsCaughtUpTest {

    @Test
    void aLoopStuckInATaskIsNamedAtTheLimitAndTheOthersAreWaitedFor() throws Exception {
        DefaultEventLoopGroup loops = new DefaultEventLoopGroup(2);
        CountDownLatch unstick = new CountDownLatch(1);
        try {
            EventExecutor stuck = loops.next();
            stuck.submit(() -> {
                Thread.currentThread().setName("stuck-loop");
                unstick.await();
                return null;
            });
            List<String> busy = assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> LoopsCaughtUp.await(loops, Duration.ofMillis(200)));
            assertEquals(1, busy.size(), busy.toString());
            assertTrue(busy.get(0).startsWith("stuck-loop (WAITING) at "), busy.get(0));

            unstick.countDown();
            assertEquals(List.of(), LoopsCaughtUp.await(loops, Duration.ofSeconds(10)), "loops that caught up");
        } finally {
            unstick.countDown();
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
