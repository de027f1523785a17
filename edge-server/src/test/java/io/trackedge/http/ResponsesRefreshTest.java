package io.trackedge.http;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Regression: the prebuilt responses were refreshed on one event loop and the replaced set
 * released at once, while the other loops read them. A loop that had read the old set but not yet
 * retained its buffer retained a freed one: {@code IllegalReferenceCountException} out of the
 * handler, which closed the keep-alive connection without an answer (seen under load as
 * "connection closed before a response"), or, with the pooled memory reused, the bytes of some
 * other buffer sent as the response.
 */
class ResponsesRefreshTest {

    private static final byte[] STATUS = "HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.US_ASCII);

    @Test
    void aSetReplacedWhileOtherLoopsReadItIsNotFreedUnderThem() throws Exception {
        DefaultEventLoopGroup group = new DefaultEventLoopGroup(2);
        Responses responses = new Responses();
        List<EventExecutor> loops = new ArrayList<>();
        group.forEach(loops::add);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong served = new AtomicLong();
        CountDownLatch stopped = new CountDownLatch(loops.size());
        // At least 1.5 s and 200 refreshes; on a loaded machine that takes longer, up to a 30 s cap.
        long start = System.nanoTime();
        long cap = start + TimeUnit.SECONDS.toNanos(30);
        AtomicBoolean done = new AtomicBoolean();
        try {
            for (EventExecutor loop : loops) {
                loop.execute(new Runnable() {
                    @Override
                    public void run() {
                        try {
                            for (int i = 0; i < 100; i++) {
                                ByteBuf b = responses.get(Responses.Kind.PIXEL, Responses.Conn.KEEP_ALIVE, false);
                                try {
                                    for (int k = 0; k < STATUS.length; k++) {
                                        if (b.getByte(b.readerIndex() + k) != STATUS[k]) {
                                            throw new AssertionError("a response that is not the pixel's: "
                                                    + b.toString(StandardCharsets.ISO_8859_1));
                                        }
                                    }
                                } finally {
                                    b.release();
                                }
                                served.incrementAndGet();
                            }
                        } catch (Throwable t) {
                            failure.compareAndSet(null, t);
                        }
                        if (failure.get() == null && !done.get()) {
                            loop.execute(this);
                        } else {
                            stopped.countDown();
                        }
                    }
                });
            }
            // The refresher is a thread of its own here, refreshing far more often than once a
            // second, to make the window between a loop's read and its retain easy to hit.
            // Paced by the readers (a few gets between refreshes), so that barrier tasks do not
            // crowd the reads out of the loops.
            int refreshes = 0;
            while (failure.get() == null && System.nanoTime() < cap
                    && (refreshes < 200 || System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(1500))) {
                long before = served.get();
                responses.refresh(Instant.now(), loops);
                refreshes++;
                while (served.get() < before + 20 && System.nanoTime() < cap && failure.get() == null) {
                    Thread.onSpinWait();
                }
            }
            done.set(true);
            assertTrue(stopped.await(30, TimeUnit.SECONDS), "the readers stopped");
            System.out.println("responses refresh race: " + served.get() + " reads, " + refreshes + " refreshes");
            assertNull(failure.get(), () -> "after " + served.get() + " responses and some of " + failure.get());
            assertTrue(served.get() > 1_000, "the loops read: " + served.get());
            assertTrue(refreshes > 20, "the set was replaced: " + refreshes);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            responses.release();
        }
    }
}
