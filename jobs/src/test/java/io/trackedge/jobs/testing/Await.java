package io.trackedge.jobs.testing;

import java.time.Duration;

/** Waits for a condition with a deadline (never a fixed sleep), failing with what was last seen. */
public final class Await {

    /** A condition that may touch the database. */
    @FunctionalInterface
    public interface Condition {
        boolean holds() throws Exception;
    }

    private Await() {
    }

    public static void until(Duration timeout, String what, Condition c) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        long pause = 5;
        while (System.nanoTime() - deadline < 0) {
            try {
                if (c.holds()) {
                    return;
                }
                last = null;
            } catch (Exception e) {
                last = e;
            }
            Thread.sleep(pause);
            pause = Math.min(100, pause * 2);
        }
        throw new AssertionError("not within " + timeout + ": " + what + (last == null ? "" : " (last error: " + last + ")"), last);
    }
}
