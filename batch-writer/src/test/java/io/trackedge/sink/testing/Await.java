package io.trackedge.sink.testing;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Waits for a condition instead of sleeping a fixed time: polls it until it holds or a deadline
 * passes. The poll starts at 1 ms and backs off to {@link #MAX_POLL}, so a condition that holds
 * soon is seen soon and a long wait does not spin.
 *
 * <p>{@link #until} fails the test with an {@link AssertionError} naming what was awaited, how long,
 * and the last value seen; {@link #within} returns false instead, for a scenario in which "it did not
 * happen in time" is itself the outcome being measured. A probe that throws ends the wait with its
 * exception (unchecked as is, checked wrapped in an {@link AssertionError}); an interrupt ends it
 * with the thread's interrupt flag set again.
 */
public final class Await {

    /** Longest pause between two polls. */
    public static final Duration MAX_POLL = Duration.ofMillis(50);

    private Await() {
    }

    /** A condition that may do I/O to find out (scrape metrics, count rows). */
    @FunctionalInterface
    public interface Condition {
        boolean holds() throws Exception;
    }

    /** A value read repeatedly until it is good enough. */
    @FunctionalInterface
    public interface Probe<T> {
        T read() throws Exception;
    }

    /** Polls {@code condition} until it holds; fails after {@code timeout}. */
    public static void until(String what, Duration timeout, Condition condition) {
        until(what, timeout, condition::holds, Boolean::booleanValue);
    }

    /**
     * Reads {@code probe} until {@code done} accepts its value, and returns that value; fails after
     * {@code timeout} with the last value in the message.
     */
    public static <T> T until(String what, Duration timeout, Probe<T> probe, Predicate<? super T> done) {
        long start = System.nanoTime();
        Poll<T> p = poll(what, timeout, probe, done);
        if (!p.met) {
            throw new AssertionError("waited " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms for "
                    + what + "; last seen: " + p.last);
        }
        return p.last;
    }

    /** Polls {@code condition} until it holds (true) or {@code timeout} passes (false). */
    public static boolean within(Duration timeout, Condition condition) {
        return poll("a condition", timeout, condition::holds, Boolean::booleanValue).met;
    }

    private record Poll<T>(boolean met, T last) {
    }

    private static <T> Poll<T> poll(String what, Duration timeout, Probe<T> probe, Predicate<? super T> done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = TimeUnit.MILLISECONDS.toNanos(1);
        while (true) {
            T last = read(what, probe);
            if (done.test(last)) {
                return new Poll<>(true, last);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return new Poll<>(false, last);
            }
            pause(what, Math.min(pause, left));
            pause = Math.min(pause * 2, MAX_POLL.toNanos());
        }
    }

    private static <T> T read(String what, Probe<T> probe) {
        try {
            return probe.read();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + what, e);
        } catch (Exception e) {
            throw new AssertionError("could not check " + what + ": " + e, e);
        }
    }

    private static void pause(String what, long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + what, e);
        }
    }
}
