package io.trackedge.ring;

import com.lmax.disruptor.LiteBlockingWaitStrategy;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.SleepingWaitStrategy;
import com.lmax.disruptor.TimeoutException;
import com.lmax.disruptor.WaitStrategy;
import com.lmax.disruptor.YieldingWaitStrategy;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import java.util.concurrent.TimeUnit;

/**
 * The hand-off from the event loops (many producers) to the journal appender (one consumer):
 *
 * <pre>
 *   event loop 1 ──┐
 *   event loop 2 ──┼──▶ [ ring of RingEvent ] ──▶ JournalAppender ──▶ segment files
 *   event loop n ──┘       (preallocated)            (one thread at a time)
 * </pre>
 *
 * Producers never block: {@link #tryClaim} fails at once when the ring is full and the caller
 * applies the configured policy.
 */
public final class EventRing {

    /**
     * The most a halted appender is given to return from the journal write it is in, at a stop whose
     * drain ran past its budget; past it the journal is left open ({@link RingNotDrainedException#journalLetGo}).
     * It is a part of the stop's budget ({@link #letGoNanos}), not added to it.
     */
    public static final long LET_GO_MILLIS = 1_000;

    /** The Disruptor that runs the appender on its own thread; null under {@code inline}. */
    private final Disruptor<RingEvent> disruptor;
    private final RingBuffer<RingEvent> ring;
    private final JournalAppender appender;
    /** The wait strategy when publishers wake the appender themselves ({@code batched}), else null. */
    private final BatchedWakeWaitStrategy batched;
    /** The appender run by whichever thread gets to it ({@code inline}), else null. */
    private final InlineAppender inline;

    /**
     * @param waitStrategy how the appender gets the events: {@code inline} (an event loop writes
     *     its own batch when no other thread is writing; see {@link InlineAppender}), {@code batched}
     *     (an appender thread, which publishers wake by {@link #endOfPublishBatch} once per batch),
     *     {@code blocking}, {@code sleeping} or {@code yielding} (Disruptor's lite-blocking, sleeping
     *     and yielding strategies)
     */
    public EventRing(int size, String waitStrategy, JournalAppender appender) {
        if (Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("ring size must be a power of two, got " + size);
        }
        this.appender = appender;
        if (waitStrategy.equals("inline")) {
            // Nobody waits on the ring's strategy: the appender thread parks on its own and publishers hand off.
            this.ring = RingBuffer.createMultiProducer(RingEvent::new, size, new BatchedWakeWaitStrategy());
            this.inline = new InlineAppender(ring, appender);
            this.disruptor = null;
            this.batched = null;
            return;
        }
        WaitStrategy strategy = waitStrategy(waitStrategy);
        this.batched = strategy instanceof BatchedWakeWaitStrategy b ? b : null;
        this.inline = null;
        this.disruptor = new Disruptor<>(RingEvent::new, size, r -> {
            Thread t = new Thread(r, "journal-appender");
            t.setDaemon(true);
            return t;
        },
                ProducerType.MULTI, strategy);
        disruptor.handleEventsWith(appender);
        this.ring = disruptor.start();
        boolean started = false;
        try {
            started = appender.awaitStarted(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!started) {
            disruptor.halt();
            throw new IllegalStateException("the journal appender thread did not start (waited at most 30 s)");
        }
    }

    private static WaitStrategy waitStrategy(String name) {
        return switch (name) {
            case "batched" -> new BatchedWakeWaitStrategy();
            // Lite: a publisher signals only when the appender is actually asleep, instead of taking
            // a lock and signalling on every event (10 % of the CPU under wrk load in our profile).
            case "blocking" -> new LiteBlockingWaitStrategy();
            case "sleeping" -> new SleepingWaitStrategy();
            case "yielding" -> new YieldingWaitStrategy();
            default -> throw new IllegalArgumentException("unknown wait strategy " + name);
        };
    }

    /** Claims a slot, or returns -1 at once when the ring is full. */
    public long tryClaim() {
        try {
            return ring.tryNext();
        } catch (InsufficientCapacityException e) {
            return -1;
        }
    }

    /**
     * Claims {@code n} consecutive slots at once, all or none, for a producer that publishes a
     * group of events (the ingest API).
     *
     * @return the highest claimed sequence (the group is {@code [hi - n + 1, hi]}), or -1 at once
     *     when fewer than {@code n} slots are free
     */
    public long tryClaim(int n) {
        try {
            return ring.tryNext(n);
        } catch (InsufficientCapacityException e) {
            return -1;
        }
    }

    /** Publishes the claimed slots {@code [lo, hi]} and wakes the appender: a group is a batch of its own. */
    public void publish(long lo, long hi) {
        ring.publish(lo, hi);
        wakeAppender();
    }

    public RingEvent slot(long sequence) {
        return ring.get(sequence);
    }

    /**
     * Publishes one claimed slot. With the {@code batched} strategy this does not wake the
     * appender: the caller calls {@link #wakeAppender} after its batch (else the event waits for the
     * appender's timer, {@link IdleBackoff}).
     */
    public void publish(long sequence) {
        ring.publish(sequence);
    }

    /** True when publishers must call {@link #endOfPublishBatch} after a batch of {@link #publish(long)}. */
    public boolean publishersWake() {
        return batched != null || inline != null;
    }

    /**
     * Called by an event loop after its batch of {@link #publish(long)}: under {@code inline} it
     * writes the batch to the journal on this thread (or leaves it to the thread writing now), under
     * {@code batched} it wakes the appender thread. The others wake on publish and ignore this.
     */
    public void endOfPublishBatch() {
        if (inline != null) {
            inline.writeHere();
        } else {
            wakeAppender();
        }
    }

    /** Wakes the appender thread if it sleeps (batched and inline; the others wake on publish and ignore this). */
    public void wakeAppender() {
        if (batched != null) {
            batched.wake();
        } else if (inline != null) {
            inline.wakeThread();
        }
    }

    /** Batches written on a publisher's thread and on the appender thread ({@code inline}; else 0 and 0). */
    public long inlineTurns() {
        return inline == null ? 0 : inline.inlineTurns();
    }

    public long appenderThreadTurns() {
        return inline == null ? 0 : inline.threadTurns();
    }

    /** Wake-ups of the {@code inline} appender thread, by a hand-off or its timer (else 0). */
    public long appenderThreadWakes() {
        return inline == null ? 0 : inline.threadWakes();
    }

    /** Turns the {@code inline} appender thread took unasked, for events a whole tick found unwritten (else 0). */
    public long appenderMissedHandOffs() {
        return inline == null ? 0 : inline.missedHandOffs();
    }

    /** Times the {@code inline} loops' turns went to the appender thread because the disk was slow (else 0). */
    public long slowDiskPauses() {
        return inline == null ? 0 : inline.slowDiskPauses();
    }

    /** 1 while the {@code inline} loops' turns are the appender thread's because the disk is slow, else 0. */
    public long slowDiskPaused() {
        return inline != null && inline.slowDiskPaused() ? 1 : 0;
    }

    /** The {@code inline} appender thread's next sleep without a wake, in nanoseconds (else 0). */
    long appenderParkNanos() {
        return inline == null ? 0 : inline.parkNanos();
    }

    public long remainingCapacity() {
        return ring.remainingCapacity();
    }

    public int size() {
        return ring.getBufferSize();
    }

    public JournalAppender appender() {
        return appender;
    }

    /**
     * Waits until every published event has been journaled, then stops the appender thread; all of it,
     * a halt included, within {@code timeout}. When the backlog does not drain in time, or the appender,
     * drained, does not let go of the journal writer in time ({@link JournalAppender#release}: it was in
     * a write), halts the appender: it takes no more events, and the one write it may be
     * in gets the last part of the timeout ({@link #letGoNanos}) to return; the journal may be closed
     * only once it has.
     *
     * @throws RingNotDrainedException when the backlog did not drain, or the writer was not let go, in
     *     time; it says which, and whether the appender let go of the journal in the end
     */
    public void drainAndStop(long timeout, TimeUnit unit) throws RingNotDrainedException {
        long budget = unit.toNanos(timeout);
        long deadline = System.nanoTime() + budget;
        long letGoNanos = letGoNanos(budget);
        boolean stopped = stopAppender(budget - letGoNanos, TimeUnit.NANOSECONDS);
        if (stopped && release(deadline - letGoNanos)) {
            return;
        }
        // Once stopped, these are events published after the drain, which the release keeps out of the journal.
        long unhandled = ring.getCursor() - appender.handledSequence();
        // Not stopped with every event handled: its thread was held in a use of the writer (a late batch's
        // write, a segment roll), and nothing of the ring is lost.
        boolean drained = stopped || unhandled <= 0;
        // What the drain left, not a fresh allowance: the let-go given on top of the budget made a stop past
        // its grace a second longer (the drain's thread join rounds to milliseconds, hence the max).
        long letGoWait = Math.max(letGoNanos, deadline - System.nanoTime());
        boolean letGo = false;
        try {
            letGo = appender.halt(letGoWait, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new RingNotDrainedException(drained, unit.toMillis(timeout), unhandled, letGo,
                TimeUnit.NANOSECONDS.toMillis(letGoWait));
    }

    /**
     * The part of a stop's {@code budgetNanos} kept for a halted appender to return from its write:
     * a quarter, at most {@link #LET_GO_MILLIS}. The drain, which keeps the events, gets the rest; the
     * let-go only decides whether the journal can be closed and synced, and a write on a healthy disk
     * returns in milliseconds (the halted turn ends at its current event).
     */
    public static long letGoNanos(long budgetNanos) {
        return Math.min(TimeUnit.MILLISECONDS.toNanos(LET_GO_MILLIS), Math.max(0, budgetNanos) / 4);
    }

    /**
     * Takes the journal writer from the drained appender ({@link JournalAppender#release}), waiting for
     * a write in progress until {@code deadlineNanos}.
     */
    private boolean release(long deadlineNanos) {
        // The ring is drained, but an event published late (by an event loop or an ingest worker the
        // stop stopped waiting for) may still be handed to the appender: by a loop's turn that looked
        // at the stop's flag before it was set (inline), or by the processor, which Disruptor's halt
        // alerts but does not join. It must not reach the journal while the stop closes it.
        try {
            return appender.release(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Stops the appender's thread once the ring is drained; on a timeout, halts it: it takes no more events. */
    private boolean stopAppender(long timeout, TimeUnit unit) {
        if (disruptor != null) {
            try {
                disruptor.shutdown(timeout, unit);
                return true;
            } catch (TimeoutException e) {
                // shutdown gives up without stopping the processor: it went on writing into a closed journal.
                disruptor.halt();
                return false;
            }
        }
        try {
            if (inline.stop(timeout, unit)) {
                return true;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        inline.halt();
        return false;
    }
}
