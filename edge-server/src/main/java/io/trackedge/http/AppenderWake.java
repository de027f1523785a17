package io.trackedge.http;

import io.netty.channel.EventLoop;
import io.trackedge.ring.EventRing;
import java.util.concurrent.RejectedExecutionException;

/**
 * Ends an event-loop iteration that published events, after the iteration's reads: a task queued
 * from inside the loop runs when the loop has handled every ready channel, so one journal write
 * (on this loop under {@code inline}, else one wake-up of the appender thread) covers the whole
 * read batch.
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
                // The loop is shutting down: hand the batch over now rather than leave the event for the appender's timer.
                run();
            }
        }
    }

    @Override
    public void run() {
        scheduled = false;
        ring.endOfPublishBatch();
    }
}
