package io.trackedge.ring;

import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.RingBuffer;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link JournalAppender} on whichever thread gets to it first (wait strategy
 * {@code inline}). An event loop that has published its read batch writes the journal itself, on
 * its own thread, so a lone request at a moderate rate no longer pays two cross-thread wake-ups
 * (event loop to appender thread, and back) before its {@code ack=journal} answer goes.
 *
 * <p>One thread writes at a time. A thread that finds another one writing leaves its events to
 * it: the writer looks at the ring again after letting go, and the two sides' full fences make
 * sure that either the writer sees the late publish or the publisher gets the turn.
 *
 * <p>What may block for long stays off the event loops: a turn is refused when the journal
 * writer has housekeeping due (a segment roll, which creates a file, a change to the directory that
 * waits on the file system's journal), and under {@code ack=fsync} every turn is. Those turns
 * go to the {@code journal-appender} thread, which also writes what threads that do not write
 * (ingest workers) publish, and wakes by itself ({@link IdleBackoff}: every millisecond under
 * traffic) to take anything a missed hand-off left behind. So do all turns while the disk is slow
 * ({@link SlowDiskGuard}): a loop's turns are timed, and a loop waiting on the disk holds its connections.
 */
final class InlineAppender {

    private static final Logger log = LoggerFactory.getLogger(InlineAppender.class);

    /**
     * Bytes an event loop stages at most in one turn before it writes them: far below the writer's
     * staging buffer, so a turn never writes mid-batch, and small enough that a loop that finds a
     * backlog (after a pause) hands most of it to the appender thread instead of holding its
     * connections while it writes.
     */
    static final long MAX_TURN_BYTES = 256 << 10;
    /**
     * Room a loop's turn needs left in the segment: a turn's bytes and one more event. With less, the
     * turn is the appender thread's, which rolls first.
     */
    static final long TURN_ROOM = 2 * MAX_TURN_BYTES;
    /** Turns an event loop takes in a row when more was published while it wrote. */
    private static final int MAX_TURNS = 2;

    private final RingBuffer<RingEvent> ring;
    private final EventPoller<RingEvent> poller;
    private final JournalAppender appender;
    private final AtomicBoolean writing = new AtomicBoolean();
    private final SlowDiskGuard slowDisk = new SlowDiskGuard();
    private final Thread thread;
    private volatile Thread sleeper;
    /** A turn was asked of the appender thread since it last looked. */
    private final AtomicBoolean wanted = new AtomicBoolean();
    private volatile boolean stopping;
    /** A stop ran past its drain budget: no turn takes another event, and the thread ends. */
    private volatile boolean halted;
    private volatile long inlineTurns;
    private volatile long threadTurns;
    private volatile long threadWakes;
    private volatile long missedHandOffs;
    private volatile long park = IdleBackoff.MAX_PARK;

    /** A loop's turn: ends the batch at the last event available or at {@link #MAX_TURN_BYTES}. */
    private final EventPoller.Handler<RingEvent> turn;
    /** The appender thread's: every event available, in one batch. */
    private final EventPoller.Handler<RingEvent> everything;

    InlineAppender(RingBuffer<RingEvent> ring, JournalAppender appender) {
        this.ring = ring;
        this.appender = appender;
        this.poller = ring.newPoller();
        this.turn = (event, sequence, endOfBatch) -> {
            boolean last = endOfBatch || halted || appender.stagedBytes() >= MAX_TURN_BYTES;
            appender.onEvent(event, sequence, last);
            return !last;
        };
        this.everything = (event, sequence, endOfBatch) -> {
            boolean last = endOfBatch || halted;
            appender.onEvent(event, sequence, last);
            return !last;
        };
        ring.addGatingSequences(poller.getSequence());
        this.thread = new Thread(this::run, "journal-appender");
        thread.setDaemon(true);
        appender.onStart();
        thread.start();
    }

    /**
     * Called by an event loop after its batch of publishes: writes what the ring holds on this
     * thread, unless another thread is writing (it will take these events too) or the turn must
     * not run on an event loop (then the appender thread is woken for it).
     */
    void writeHere() {
        if (appender.fsyncs()) {
            wakeThread();
            return;
        }
        if (stopping) {
            return; // the appender thread writes what is left and closes: no turn may overlap the journal's close
        }
        if (!slowDisk.loopsMayWrite()) {
            wakeThread();
            return;
        }
        for (int turns = 0; turns < MAX_TURNS; turns++) {
            // Pairs with the fence after a writer lets go: our publishes are visible before we look at the turn.
            VarHandle.fullFence();
            if (!writing.compareAndSet(false, true)) {
                return;
            }
            boolean handOff;
            boolean threw = true;
            try {
                handOff = appender.housekeepingDue(TURN_ROOM);
                if (!handOff) {
                    long start = System.nanoTime();
                    boolean wrote = poll(turn); // a turn that found its events written by another thread says nothing of the disk
                    long end = System.nanoTime();
                    handOff = wrote && slowDisk.turnTook(end - start, end);
                    if (handOff) {
                        log.warn("journal writes on an event loop took {} ms twice in a row or again soon after a pause; "
                                + "the journal-appender thread writes for the next {} s, so that no loop waits on the disk",
                                TimeUnit.NANOSECONDS.toMillis(end - start), TimeUnit.NANOSECONDS.toSeconds(slowDisk.pauseNanos()));
                    }
                }
                threw = false;
            } finally {
                writing.set(false);
                if (threw) {
                    // Events other loops left to this turn would otherwise wait for the thread's tick.
                    wakeThread();
                }
            }
            if (handOff) {
                wakeThread();
                return;
            }
            VarHandle.fullFence();
            if (!pending()) {
                return;
            }
        }
        // Still more: this loop goes back to its connections, the appender thread takes the rest.
        wakeThread();
    }

    /** Asks the appender thread for a turn, waking it if it sleeps. Any thread. */
    void wakeThread() {
        wanted.set(true);
        // Pairs with the fence in run(): either it sees the request, or we see it asleep.
        VarHandle.fullFence();
        Thread t = sleeper;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /**
     * The appender thread. It writes when asked (a hand-off, an ingest worker's publish, the stop),
     * and on its own only for events that a whole tick found published and not written: it never
     * chases the event loops' turns, which would bring back the cross-thread wake-ups this class
     * is for.
     */
    private void run() {
        long seenAtLastTick = -1;
        boolean leftPending = false; // its own last turn ended with more published: not a loop's miss
        try {
            while (!halted) {
                threadWakes++;
                slowDisk.tick(System.nanoTime());
                boolean stop = stopping;
                boolean asked = wanted.getAndSet(false);
                long written = poller.getSequence().get();
                boolean straggled = !stop && !asked && written == seenAtLastTick && pending();
                if (straggled && !leftPending) {
                    missedHandOffs++;
                }
                boolean turn = stop || asked || straggled;
                if (turn) {
                    try {
                        takeTurns();
                    } catch (RuntimeException e) {
                        // A bug in a batch's handling; thrown on, it would end the thread the loops hand
                        // rolls and stragglers to. The next tick tries again.
                        log.error("journal appender turn failed", e);
                    }
                }
                leftPending = turn && pending();
                // Idle only while nothing at all is written. Backing off under traffic too (the thread
                // had nothing of its own to do while the loops wrote) took its CPU from 2 to 0.7 µs an
                // event at 10,000/s, but in fixed-rate runs in counterbalanced order two of four had a
                // p99 1.7 and 2.7 times the tick's median (docs/benchmarks.md, 2026-12-03).
                boolean idle = !turn && written == seenAtLastTick;
                seenAtLastTick = poller.getSequence().get();
                if (stop && seenAtLastTick >= ring.getCursor()) {
                    return;
                }
                park = IdleBackoff.next(park, idle && !pending());
                sleeper = Thread.currentThread();
                VarHandle.fullFence();
                if (!wanted.get()) {
                    LockSupport.parkNanos(this, park);
                }
                sleeper = null;
            }
        } finally {
            appender.onShutdown();
        }
    }

    /** The appender thread's turns: housekeeping first, then every event published, a few times while more comes. */
    private void takeTurns() {
        for (int turns = 0; turns < MAX_TURNS; turns++) {
            VarHandle.fullFence();
            if (!writing.compareAndSet(false, true)) {
                return; // the writer looks again when it lets go, and the next tick comes within IdleBackoff.MAX_PARK
            }
            try {
                appender.housekeep(TURN_ROOM);
                long start = System.nanoTime();
                if (poll(everything)) {
                    slowDisk.threadTurnTook(System.nanoTime() - start);
                }
            } finally {
                writing.set(false);
            }
            VarHandle.fullFence();
            if (!pending()) {
                return;
            }
        }
    }

    /** Writes what the handler takes; true when that was anything. */
    private boolean poll(EventPoller.Handler<RingEvent> handler) {
        try {
            if (poller.poll(handler) == EventPoller.PollState.PROCESSING) {
                if (Thread.currentThread() == thread) {
                    threadTurns++;
                } else {
                    inlineTurns++;
                }
                return true;
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e); // the handlers throw nothing checked
        }
        return false;
    }

    /** True when the next event to write has been published. */
    private boolean pending() {
        return ring.isAvailable(poller.getSequence().get() + 1);
    }

    /** Turns that wrote events on a publisher's thread, and on the appender thread. */
    long inlineTurns() {
        return inlineTurns;
    }

    long threadTurns() {
        return threadTurns;
    }

    /** Times the appender thread woke up, by a hand-off or by its timer. */
    long threadWakes() {
        return threadWakes;
    }

    /**
     * Turns the appender thread took unasked, for events a whole tick found published and not
     * written, other than those its own last turn left: a hand-off no writer took, or a loop that
     * had not reached its turn yet (not told apart).
     */
    long missedHandOffs() {
        return missedHandOffs;
    }

    /** Times the loops' turns went to the appender thread because loop turns were slow ({@link SlowDiskGuard}). */
    long slowDiskPauses() {
        return slowDisk.pauses();
    }

    /** True while they are the appender thread's. */
    boolean slowDiskPaused() {
        return !slowDisk.loopsMayWrite();
    }

    /** How long the appender thread sleeps next without a wake ({@link IdleBackoff}). */
    long parkNanos() {
        return park;
    }

    /**
     * Lets the appender thread write what is left and end, waiting up to {@code timeout}.
     *
     * @return false when it had not ended by then
     */
    boolean stop(long timeout, TimeUnit unit) throws InterruptedException {
        stopping = true;
        wakeThread();
        thread.join(Math.max(1, unit.toMillis(timeout)));
        return !thread.isAlive();
    }

    /**
     * For a {@link #stop} that ran out of time: the turn in progress ends at its current event, no
     * turn takes another, and the appender thread ends without writing what is left. Any thread;
     * returns at once ({@link JournalAppender#halt} waits for the write in progress).
     */
    void halt() {
        halted = true;
        wakeThread();
    }
}
