package io.trackedge.ingest;

/**
 * Why a line was not accepted.
 *
 * @param field the event field at fault, or null when the line as a whole is (malformed JSON)
 */
record Rejection(String field, String reason) {
}
