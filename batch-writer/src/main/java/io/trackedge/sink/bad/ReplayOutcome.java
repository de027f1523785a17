package io.trackedge.sink.bad;

/**
 * What replaying one set-aside event did.
 *
 * @param replayed written to the destination now
 * @param error why it was not: the destination refused it again, it was replayed already, or its
 *     record does not decode; null when replayed
 */
public record ReplayOutcome(long badEventId, boolean replayed, String error) {
}
