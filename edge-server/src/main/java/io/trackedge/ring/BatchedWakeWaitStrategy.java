package io.trackedge.ring;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.WaitStrategy;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * A wait strategy for the ring's one consumer in which publishing does not wake the consumer:
 * producers call {@link #wake} once after a batch of publishes (an event loop, at the end of the
 * read batch it was handling). Under load the appender then wakes once per event-loop iteration
 * and writes the whole iteration's events with one {@code write}, instead of waking (a futex call
 * on the event loop) and writing every event or two.
 *
 * <p>The consumer also wakes by itself ({@link IdleBackoff}: every millisecond while events come), so
 * an event whose producer did not call {@link #wake} is journaled late, never stranded; and it wakes
 * at once when the ring is halted.
 */
final class BatchedWakeWaitStrategy implements WaitStrategy {

    private volatile Thread sleeper;
    private volatile SequenceBarrier barrier;

    @Override
    public long waitFor(long sequence, Sequence cursor, Sequence dependentSequence, SequenceBarrier barrier)
            throws AlertException {
        this.barrier = barrier;
        long available;
        long park = IdleBackoff.MAX_PARK; // each batch starts over: the bound under traffic
        while ((available = dependentSequence.get()) < sequence) {
            barrier.checkAlert();
            sleeper = Thread.currentThread();
            // Pairs with the fence in wake(): either we see the producer's claim, or it sees us asleep.
            VarHandle.fullFence();
            if (dependentSequence.get() < sequence && !barrier.isAlerted()) {
                LockSupport.parkNanos(this, park);
            }
            sleeper = null;
            park = IdleBackoff.next(park, true); // woke to nothing (or to a batch, and we leave): sleep longer next time
        }
        return available;
    }

    /**
     * Called by the sequencer on every publish and by the ring when it is halted: it wakes the
     * consumer only in the second case, so that publishing stays free of wake-ups.
     */
    @Override
    public void signalAllWhenBlocking() {
        SequenceBarrier b = barrier;
        if (b != null && b.isAlerted()) {
            wake();
        }
    }

    /** Wakes the consumer if it is asleep. Cheap when it is not; callable from any thread. */
    void wake() {
        VarHandle.fullFence();
        Thread t = sleeper;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    @Override
    public String toString() {
        return "BatchedWakeWaitStrategy";
    }
}
