package io.trackedge.http;

import io.netty.channel.EventLoop;
import io.trackedge.ring.EventRing;
import java.util.concurrent.RejectedExecutionException;

/**
 * Wakes the journal appender once per event-loop iteration that published events, after the
 * iteration's reads: a task queued from inside the loop runs when the loop has handled every
 * ready channel, so one wake-up (and one journal write) covers the whole read batch.
 *
 * <p>Event loop only.
 */
final class AppenderWake implements Runnable {

    private final EventLoop loop;
    private final EventRing ring;
    private boolean scheduled;

    AppenderWake(EventLoop loop, EventRing ring) {
        this.loop = loop;
        this.ring = ring;
    }

    /** Called after each publish; schedules the iteration's wake-up once. */
    void published() {
        if (!scheduled) {
            scheduled = true;
            try {
                loop.execute(this);
            } catch (RejectedExecutionException e) {
                // The loop is shutting down: wake the appender now rather than leave the event for its timer.
                run();
            }
        }
    }

    @Override
    public void run() {
        scheduled = false;
        ring.wakeAppender();
    }
}
