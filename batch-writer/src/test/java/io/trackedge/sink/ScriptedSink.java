package io.trackedge.sink;

import io.trackedge.journal.EventRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A destination in memory for testing the loop: it takes batches, keeps a committed cursor, refuses
 * the events named in {@link #poison} for their data, and fails every call while {@link #down} is
 * set, as a lost connection would. What it holds is read from the test thread.
 */
final class ScriptedSink implements Sink {

    /** A write or set-aside not at the cursor: checked, so that the loop retries it as the Postgres sink's would be. */
    static final class CursorMismatch extends Exception {
        CursorMismatch(String m) {
            super(m);
        }
    }

    static final class DataRefused extends Exception {
        DataRefused(String m) {
            super(m);
        }
    }

    final Set<UUID> poison = ConcurrentHashMap.newKeySet();
    /** Events the sink's own code fails on, as a classifier's bug would: what it throws for each. */
    final Map<UUID, Throwable> bugs = new ConcurrentHashMap<>();
    /** Every write throws a bug's exception, as a bug every event meets would. */
    volatile boolean bugOnAll;
    /** While set, every write throws it (an Error the loop must live through). */
    volatile Error errorOnWrite;
    /** Events this sink refuses by its own rule ({@link #refusal}): never to reach {@link #write}. */
    final Set<UUID> refuse = ConcurrentHashMap.newKeySet();
    final AtomicInteger refusedWritten = new AtomicInteger();
    /** When each set-aside began ({@link System#currentTimeMillis}). */
    final List<Long> asideAt = Collections.synchronizedList(new ArrayList<>());
    /** When set, every set-aside after the first waits for it. */
    volatile CountDownLatch asideGate;
    final List<UUID> written = Collections.synchronizedList(new ArrayList<>());
    final List<BadRecord> setAside = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger writes = new AtomicInteger();
    /** When each write began ({@link System#nanoTime}), recorded before {@link #writes} counts it. */
    final List<Long> writeStarts = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger refusals = new AtomicInteger();
    volatile boolean down;
    /** Connects, but every write is answered "retry later". */
    volatile boolean throttled;
    /** Refuse everything, as a broken endpoint would (never shown to be the data's fault). */
    volatile boolean refuseAll;
    /** Refuse a batch of no events for its data, as a destination refusing the corrections it carries would. */
    volatile boolean refuseEmpty;
    volatile Duration retryAfter = Duration.ZERO;
    volatile long committed;
    volatile boolean closed;
    /**
     * Events this sink gives up unsent, as PostHog's does past max-lag or the journal's room: a batch of
     * only such events commits with no call to the destination (down or not), delivering none.
     */
    final Set<UUID> givenUp = ConcurrentHashMap.newKeySet();
    private int lastGivenUp;

    @Override
    public String name() {
        return "scripted";
    }

    @Override
    public long open() throws Exception {
        if (down) {
            throw new java.net.ConnectException("destination down");
        }
        return committed;
    }

    @Override
    public CompletableFuture<Integer> write(Batch batch) throws Exception {
        writeStarts.add(System.nanoTime());
        int started = writesStarted.incrementAndGet();
        CountDownLatch hold = holdWrites;
        if (hold != null && started >= holdFromWrite) { // a request that hangs, as a synchronous sink's (PostHog's) does until its timeout
            hold.await();
        }
        if (writes.incrementAndGet() == failAtOnceOnWrite) {
            throw new java.net.ConnectException("the connection dropped as the batch was handed over");
        }
        lastGivenUp = 0;
        if (!batch.isEmpty() && batch.list().stream().allMatch(e -> givenUp.contains(e.id()))) {
            if (batch.start() != committed) {
                throw new CursorMismatch("batch starts at " + batch.start() + " but the cursor is at " + committed);
            }
            lastGivenUp = batch.size();
            committed = batch.end();
            return CompletableFuture.completedFuture(0);
        }
        if (down) {
            throw new java.net.ConnectException("destination down");
        }
        if (throttled) {
            throw new RetryLaterException("throttled", retryAfter, null);
        }
        if (batch.start() != committed) {
            throw new CursorMismatch("batch starts at " + batch.start() + " but the cursor is at " + committed);
        }
        if (errorOnWrite != null) {
            throw errorOnWrite;
        }
        for (EventRecord e : batch.list()) {
            Throwable bug = bugOnAll ? new IllegalStateException("a bug every event meets") : bugs.get(e.id());
            if (bug instanceof RuntimeException r) {
                throw r;
            } else if (bug instanceof Error err) {
                throw err;
            }
        }
        if (refuseEmpty && batch.isEmpty()) {
            refusals.incrementAndGet();
            throw new DataRefused("refused a batch of no events");
        }
        for (EventRecord e : batch.list()) {
            if (refuse.contains(e.id())) {
                refusedWritten.incrementAndGet();
            }
            if (refuseAll || poison.contains(e.id())) {
                refusals.incrementAndGet();
                throw new DataRefused("refused " + e.id());
            }
        }
        for (EventRecord e : batch.list()) {
            written.add(e.id());
        }
        committed = batch.end();
        CompletableFuture<Void> g = commitGate;
        return g == null ? CompletableFuture.completedFuture(batch.size()) : g.thenApply(x -> batch.size());
    }

    /** While set, each write from number {@link #holdFromWrite} (counted from 1) waits for it before it is counted. */
    volatile CountDownLatch holdWrites;
    volatile int holdFromWrite = 1;
    final AtomicInteger writesStarted = new AtomicInteger();

    /** Batches in flight at once ({@link Sink#maxInFlight}), as a pipelined destination takes them. */
    volatile int inFlight = 1;
    /** When set, a write's commit is reported once it completes (the batch is in the destination already). */
    volatile CompletableFuture<Void> commitGate;
    /** The write of this number (counted from 1) fails at once, before the destination is asked. */
    volatile int failAtOnceOnWrite;

    @Override
    public int maxInFlight() {
        return inFlight;
    }

    @Override
    public boolean delivered(Batch batch, Integer rows) {
        return rows == null || rows > 0 || lastGivenUp == 0;
    }

    @Override
    public Refusal refusal(long position, EventRecord e) {
        return refuse.contains(e.id()) ? new Refusal("rule", "refused by rule: " + e.id()) : null;
    }

    @Override
    public boolean acceptsOthers(Batch others) {
        if (refuseAll) {
            return false;
        }
        for (EventRecord e : others.list()) { // the same code runs on the others, as PostHog's encoding does
            Throwable bug = bugOnAll ? new IllegalStateException("a bug every event meets") : bugs.get(e.id());
            if (bug instanceof RuntimeException r) {
                throw r;
            } else if (bug instanceof Error err) {
                throw err;
            }
        }
        for (EventRecord e : others.list()) {
            if (!poison.contains(e.id())) {
                return true;
            }
        }
        return false;
    }

    /** Runs of refusals set aside in one call. */
    final AtomicInteger asideRuns = new AtomicInteger();

    @Override
    public void setAside(List<BadRecord> run) throws Exception {
        asideRuns.incrementAndGet();
        for (BadRecord bad : run) {
            setAside(bad);
        }
    }

    @Override
    public void setAside(BadRecord bad) throws Exception {
        if (down) {
            throw new java.net.ConnectException("destination down");
        }
        if (bad.position() != committed) {
            throw new CursorMismatch("set aside at " + bad.position() + " but the cursor is at " + committed);
        }
        asideAt.add(System.currentTimeMillis());
        CountDownLatch gate = asideGate;
        if (gate != null && !setAside.isEmpty()) {
            gate.await(); // holds every set-aside after the first
        }
        setAside.add(bad);
        committed = bad.next();
    }

    @Override
    public FailureKind classify(Throwable failure) {
        return failure instanceof DataRefused ? FailureKind.DATA : FailureKind.TRANSIENT;
    }

    @Override
    public String errorCode(Throwable failure) {
        return failure instanceof DataRefused ? "refused" : null;
    }

    @Override
    public void close() {
        closed = true;
    }
}
