package io.trackedge.ingest;

/**
 * What a processed request gets.
 *
 * @param status 202 (at least one event accepted), 400, 413, 415 (a body not in UTF-8) or 503
 * @param body the JSON body
 * @param sequence the ring sequence to wait for before the response may go, or -1 for none
 *     (nothing was published, or {@code memory} acknowledgements)
 */
public record IngestOutcome(int status, byte[] body, long sequence, int accepted, int rejected) {
}
