package io.trackedge.http;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import io.netty.util.concurrent.ThreadProperties;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Waits, up to a limit, until event loops have run every task queued on them before the call, and
 * names those that have not. Why a limit: a loop stuck in a task (an {@code inline} journal write on a
 * disk that hangs) held the stop for ever, past the service manager's stop timeout, with nothing in the log.
 */
final class LoopsCaughtUp {

    /** Stack frames given for a loop still busy: enough to see the call it is stuck in. */
    static final int FRAMES = 4;

    private LoopsCaughtUp() {
    }

    /**
     * @return one line per loop still busy at the limit (its thread, state and innermost frames), in
     *     the loops' order; empty when every loop caught up
     */
    static List<String> await(Iterable<? extends EventExecutor> loops, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        Map<EventExecutor, Future<?>> marks = new LinkedHashMap<>();
        for (EventExecutor e : loops) {
            marks.put(e, e.submit(() -> { }));
        }
        List<String> busy = new ArrayList<>();
        for (Map.Entry<EventExecutor, Future<?>> m : marks.entrySet()) {
            long left = Math.max(0, deadline - System.nanoTime());
            if (!m.getValue().awaitUninterruptibly(left, TimeUnit.NANOSECONDS)) {
                busy.add(describe(m.getKey()));
            }
        }
        return busy;
    }

    private static String describe(EventExecutor loop) {
        if (!(loop instanceof SingleThreadEventExecutor s)) {
            return loop.toString();
        }
        // Not blocking: a loop that runs a task has its thread.
        ThreadProperties t = s.threadProperties();
        StackTraceElement[] stack = t.stackTrace();
        return t.name() + " (" + t.state() + ") at " + Arrays.stream(stack).limit(FRAMES).map(String::valueOf)
                .collect(Collectors.joining(" < "));
    }
}
