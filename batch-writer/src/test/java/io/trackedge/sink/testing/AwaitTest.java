package io.trackedge.sink.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The wait helper every test uses instead of sleeping: it returns as soon as it can and fails saying what it waited for. */
class AwaitTest {

    @Test
    void returnsTheFirstGoodValueAsSoonAsItIsThere() {
        AtomicInteger polls = new AtomicInteger();
        long t0 = System.nanoTime();
        int value = Await.until("the fifth poll", Duration.ofSeconds(10), polls::incrementAndGet, n -> n >= 5);
        assertEquals(5, value);
        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(2).toNanos(), "a met condition ends the wait at once");
    }

    @Test
    void failsAfterTheTimeoutNamingWhatItWaitedForAndTheLastValue() {
        AssertionError e = assertThrows(AssertionError.class,
                () -> Await.until("the answer", Duration.ofMillis(100), () -> 41, n -> n == 42));
        assertTrue(e.getMessage().contains("the answer") && e.getMessage().contains("last seen: 41"), e.getMessage());
    }

    @Test
    void withinSaysFalseInsteadOfFailing() {
        assertFalse(Await.within(Duration.ofMillis(50), () -> false));
        assertTrue(Await.within(Duration.ofMillis(50), () -> true));
    }

    @Test
    void aProbeThatThrowsEndsTheWaitWithItsError() {
        IllegalStateException boom = new IllegalStateException("boom");
        assertSame(boom, assertThrows(IllegalStateException.class, () -> Await.until("x", Duration.ofSeconds(5), () -> {
            throw boom;
        })));
        AssertionError wrapped = assertThrows(AssertionError.class, () -> Await.within(Duration.ofSeconds(5), () -> {
            throw new IOException("gone");
        }));
        assertTrue(wrapped.getCause() instanceof IOException, String.valueOf(wrapped.getCause()));
    }
}
