package io.trackedge.sink;

import io.trackedge.journal.EventRecord;
import io.trackedge.privacy.PrivacyPolicy;

/**
 * One journal record a sink could not deliver because of its data.
 *
 * @param position where the record starts in the journal; the cursor moves to {@code next}
 * @param record the raw journal payload, kept so the event can be replayed after a fix
 * @param event the decoded event, or null when the record does not decode
 * @param error what the destination (or the decoder) said
 * @param code a machine-readable code: a SQLState, an HTTP status, or {@code "decode"}
 * @param cut whether {@link #redacted} cut the address or User-Agent ({@link PrivacyPolicy#cut}): a row
 *     replayed from it holds less than the classifier saw, and is marked so ({@code redacted}, sql/V40)
 */
public record BadRecord(long position, long next, byte[] record, EventRecord event, String error, String code, boolean cut) {

    /** A record as it was read, nothing cut. */
    public BadRecord(long position, long next, byte[] record, EventRecord event, String error, String code) {
        this(position, next, record, event, error, code, false);
    }

    /**
     * This record as it may be kept: the address and user agent cut as the event's tenant keeps
     * them (in {@code record} and {@code event}; the rest byte for byte, so it still replays). A
     * record that does not decode names no tenant and is kept as it is.
     */
    public BadRecord redacted(PrivacyPolicy privacy) {
        if (event == null) {
            return this;
        }
        EventRecord kept = privacy.redact(event);
        return kept == event ? this
                : new BadRecord(position, next, privacy.redactRecord(record, event), kept, error, code, PrivacyPolicy.cut(event, kept));
    }
}
