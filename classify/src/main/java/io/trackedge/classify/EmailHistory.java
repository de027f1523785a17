package io.trackedge.classify;

import java.util.List;
import java.util.Map;

/**
 * What a store of earlier events (the database other nodes write to) knows of emails a classifier
 * holds nothing of. Behind a load balancer an email's {@code delivered} event and its first open
 * often reach different nodes; this is how the node that gets the open learns of the send.
 */
public interface EmailHistory {

    /**
     * @param sentAtMicros the email's latest {@code sent} or {@code delivered} event found, or
     *     {@link Long#MIN_VALUE} when none
     * @param opened whether it has been opened
     */
    record Recalled(long sentAtMicros, boolean opened) {
    }

    /**
     * What is known of {@code emails}; an email absent from the answer is unknown. Only sends from
     * {@code sinceMicros} to {@code untilMicros} need be found (they bound the search: a send after
     * the batch's newest event says nothing of it).
     */
    Map<EmailRef, Recalled> recall(List<EmailRef> emails, long sinceMicros, long untilMicros) throws Exception;
}
