package io.trackedge.sink.bad;

/**
 * What replaying one set-aside event did.
 *
 * @param replayed written to the destination now
 * @param error why it was not: the destination refused it again, it was replayed already, or its
 *     record does not decode; null when replayed
 * @param retryable not replayed for a cause outside the event (the database unreachable, busy, a lock
 *     or deadlock lost, its tenant still marked moved out): the same replay may succeed later, unlike a
 *     refusal of its data, so its row was not recorded as refused and stays untried
 */
public record ReplayOutcome(long badEventId, boolean replayed, String error, boolean retryable) {

    /** An outcome whose failure, if any, is the event's own. */
    public ReplayOutcome(long badEventId, boolean replayed, String error) {
        this(badEventId, replayed, error, false);
    }
}
