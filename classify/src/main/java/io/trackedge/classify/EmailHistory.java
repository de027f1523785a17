package io.trackedge.classify;

import io.trackedge.journal.EventFields;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What a store of earlier events (the database other nodes write to) knows of emails a classifier
 * holds no send of. Behind a load balancer an email's {@code delivered} event and its first open
 * often reach different nodes; this is how the node that gets the open learns of the send. And a
 * scanner's clicks of one email's links, a second apart, often reach different nodes too: each asks
 * for the clicks the others stored ({@link #clicks}), so the burst is seen whole by the node that
 * classifies its click second.
 */
public interface EmailHistory {

    /** An email asked about, and the time of its first open or click in the batch: what is known before then counts. */
    record Asked(EmailRef email, long atMicros) {
    }

    /**
     * @param sentAtMicros the email's latest {@code sent} or {@code delivered} event at or before the
     *     time asked about (within a day of it), or {@link Long#MIN_VALUE} when none
     * @param firstOpenMicros when it was first opened, at any time (each click is compared with its
     *     own time: a later click of the same email, after another node's first open, is not a click
     *     before the open), or {@link Long#MIN_VALUE} when never
     */
    record Recalled(long sentAtMicros, long firstOpenMicros) {

        /** Nothing known. */
        public static final Recalled NOTHING = new Recalled(Long.MIN_VALUE, Long.MIN_VALUE);

        /** This answer and another store's for the same email: the later send, the earlier first open. */
        public Recalled with(Recalled other) {
            return new Recalled(Math.max(sentAtMicros, other.sentAtMicros), EmailState.earlier(firstOpenMicros, other.firstOpenMicros));
        }
    }

    /** An email's clicks in the batch about to be classified, and the span a burst with them can come from. */
    record ClickSpan(EmailRef email, long fromMicros, long toMicros) {
    }

    /**
     * A click of an email some node stored: what a burst needs of it (its time, address and link) and
     * what correcting it needs (its id, its sender fields, its verdict as stored).
     *
     * @param ip the client address as stored (the tenant's privacy may have kept only its network)
     */
    record StoredClick(UUID id, long atMicros, byte[] ip, String url, EventFields fields, Classification classification) {
    }

    /**
     * Every stored click of each email within its span, whichever node took it; an email with none is
     * left out. A store that keeps no clicks answers none.
     *
     * @throws ClicksPartlyAnswered when some stores answered and others failed
     */
    default Map<EmailRef, List<StoredClick>> clicks(List<ClickSpan> spans) throws Exception {
        return Map.of();
    }

    /**
     * Some stores answered with their clicks and another failed (the cause). The answered clicks hold:
     * a click only ever adds to a burst, so an email's clicks from the stores that answered are fewer,
     * never wrong.
     */
    final class ClicksPartlyAnswered extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient Map<EmailRef, List<StoredClick>> answered;
        private final int unanswered;

        /** @param unanswered how many of the emails asked about have a store that failed */
        public ClicksPartlyAnswered(Map<EmailRef, List<StoredClick>> answered, int unanswered, Throwable cause) {
            super(cause.getMessage(), cause);
            this.answered = Map.copyOf(answered);
            this.unanswered = unanswered;
        }

        public Map<EmailRef, List<StoredClick>> answered() {
            return answered;
        }

        public int unanswered() {
            return unanswered;
        }
    }

    /** Some of the emails were answered, and the store failed for the others (the cause). */
    final class PartlyAnswered extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient Map<EmailRef, Recalled> answered;

        public PartlyAnswered(Map<EmailRef, Recalled> answered, Throwable cause) {
            super(cause.getMessage(), cause);
            this.answered = Map.copyOf(answered);
        }

        public Map<EmailRef, Recalled> answered() {
            return answered;
        }
    }

    /**
     * An answer for every email asked ({@link Recalled#NOTHING} when nothing is known of it).
     *
     * @throws PartlyAnswered when some were answered and others could not be
     */
    Map<EmailRef, Recalled> recall(List<Asked> asked) throws Exception;
}
