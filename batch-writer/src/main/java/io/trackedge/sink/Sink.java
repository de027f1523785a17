package io.trackedge.sink;

import io.trackedge.journal.EventRecord;
import java.util.concurrent.CompletableFuture;

/**
 * A destination for journaled events, driven by a {@link SinkLoop}. The loop owns the journal
 * cursor's movement, batching, retries with backoff, health, lag and metrics; a sink only says what
 * a batch becomes and where its committed cursor is.
 *
 * <p>Contract:
 * <ul>
 *   <li>{@link #open} is called on the loop's thread before the first batch and again after every
 *       failure; it returns the committed journal position, from which the loop reads again.
 *   <li>{@link #write} writes the batch's events and commits the cursor at {@link Batch#end()}, as
 *       one unit where the destination allows (a transaction) or in that order (then the
 *       destination must count a resend once). It may return before the commit (at most
 *       {@link #maxInFlight} batches in flight); the returned future completes, in journal order,
 *       once the batch and its cursor are committed, or fails with the reason.
 *   <li>{@link #setAside} records one event the destination refused for its data, with its raw
 *       journal record and the error, and moves the cursor past it, exactly once.
 *   <li>{@link #refusal} is asked of each decoded event before its batch is written: an event the
 *       sink will not take by a rule of its own is set aside at once, without being written.
 *   <li>{@link #classify} tells a refusal of the data (the loop narrows the batch down to the
 *       events at fault and sets them aside) from a fault of the connection or the destination
 *       (the loop retries the same events later; they are never set aside).
 * </ul>
 * Every method is called from the loop's thread only.
 */
public interface Sink extends AutoCloseable {

    /** Short lower-case name used in metrics, logs and {@code bad_events.sink}. */
    String name();

    /** Batches the loop may have submitted and not yet seen committed. */
    default int maxInFlight() {
        return 1;
    }

    /**
     * Whether {@code batch}, just committed with {@code rows} (as its future gave them; null: the
     * batch's size), shows that the destination took events. A sink that gives events up unsent says
     * no for a batch it delivered none of and gave some up: that commit moves the cursor, but does not
     * bring a failing sink back to running (an outage stays a stall, and the backoff grows), and half of
     * a refused batch given up is no proof that the destination takes the other half's events.
     */
    default boolean delivered(Batch batch, Integer rows) {
        return true;
    }

    /**
     * Why this sink sets an event aside before writing it, by a rule of its own.
     *
     * @param code machine-readable, kept as the {@code bad_events} row's error code
     * @param reason what a person reads in {@code trackedge bad-events list}
     */
    record Refusal(String code, String reason) {
    }

    /**
     * Asked of each decoded event before its batch is written: the sink's own reason not to take
     * it, or null. A refused event is set aside ({@link #setAside}) without being tried, and,
     * being the sink's verdict rather than the destination's, never counts as a sign that the
     * destination is broken (however many come in a row). Must be cheap: it runs per event. It may
     * throw (a failed read of what it decides by): the loop then retries from its cursor.
     *
     * @param position where in the journal the event was written
     */
    default Refusal refusal(long position, EventRecord event) {
        return null;
    }

    /** Connects (migrating if configured) and returns the committed journal position. */
    long open() throws Exception;

    /**
     * A failure the last {@link #open} got past, to be made good by the sink itself later (the PostHog
     * sink's cursor, written again with the next batch), or null; the next call returns null. The loop
     * counts it with the failures, which alerts watch, and reads on from the position {@code open} returned.
     */
    default Exception takeOpenFailure() {
        return null;
    }

    /** Starts writing {@code batch}; see the class contract. May throw instead of failing the future. */
    CompletableFuture<Integer> write(Batch batch) throws Exception;

    /** Records {@code bad} as refused and moves the cursor from {@code bad.position()} to {@code bad.next()}. */
    void setAside(BadRecord bad) throws Exception;

    /**
     * Records a run of consecutive refused records (not empty; each one's {@code next} the following
     * one's {@code position}) and moves the cursor past the last, as one unit where the destination allows:
     * a sink days behind may refuse whole batches ({@link #refusal}). By default, one at a time.
     */
    default void setAside(java.util.List<BadRecord> run) throws Exception {
        for (BadRecord bad : run) {
            setAside(bad);
        }
    }

    /**
     * Asked before an event is set aside: does the destination take any of {@code others}, the
     * events after it in the failed batch? Without such proof, a destination that refuses every
     * event (a broken endpoint answering 400 to all) would look like a run of bad events; so on
     * false the loop retries instead, until other events come. A destination whose refusals are
     * always about the data (PostgreSQL's data exceptions) keeps the default, true. It may send
     * {@code others} (a resend must count once); it must not move the cursor.
     */
    default boolean acceptsOthers(Batch others) throws Exception {
        return true;
    }

    /** What the loop does about {@code failure}. */
    FailureKind classify(Throwable failure);

    /** A short machine-readable code for a refusal (a SQLState, an HTTP status), or null. */
    default String errorCode(Throwable failure) {
        return null;
    }

    /** Releases connections and threads; the loop calls it once, when it ends. */
    @Override
    void close();
}
