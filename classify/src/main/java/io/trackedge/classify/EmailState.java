package io.trackedge.classify;

import io.trackedge.journal.EventFields;
import java.util.UUID;

/**
 * What the classifier remembers of one email: when it was sent or delivered, when it was first
 * opened, and its last {@link #MAX_CLICKS} clicks (for bursts and their retroactive corrections).
 *
 * <p>Memory, measured (heap after GC, 100,000 emails, JDK 25, compressed oops; email ids of 20
 * characters; before {@link #askedAtMicros} and the earlier send, which add 8 bytes an email each): 190 bytes an email with one open (map entry, key, email id, this object), 375 bytes with
 * one click (the click, its event id and fields, the ring); each further click about 185 bytes, at most
 * {@link #MAX_CLICKS}. The default 100,000 emails take 19-38 MB with an open or a click each, and at
 * worst (every email {@value #MAX_CLICKS} clicks) about 170 MB.
 */
final class EmailState {

    /**
     * Clicks remembered per email; a burst longer than this is still caught, its oldest clicks are not
     * corrected. At most 127: the ring's counters are bytes.
     */
    static final int MAX_CLICKS = 8;

    static final long NEVER = Long.MIN_VALUE;

    /** The latest {@code sent} or {@code delivered} time seen here or recalled, or {@link #NEVER}. */
    long sentAtMicros = NEVER;
    /**
     * The one before {@link #sentAtMicros}: a delivery stamped after a click (the mail server's clock ahead
     * of the edge's) can be journaled before it, and the click's window runs from the send before it, as
     * a re-score in time order finds.
     */
    private long earlierSentAtMicros = NEVER;
    /** The earliest open seen here or recalled from other nodes' ({@link SendQuestions#recall}), or {@link #NEVER}. */
    long firstOpenMicros = NEVER;
    /** Whether a store of other nodes' events was asked about this email ({@link SendQuestions#recall}). */
    boolean asked;
    /** The event time of the last question about this email ({@link SendQuestions#unknownEmails}), or {@link #NEVER}. */
    long askedAtMicros = NEVER;
    private Click[] clicks;
    // Bytes (at most MAX_CLICKS): by the field layout (12-byte header, four longs, a reference, three
    // bytes) the object is 56 bytes: 40 with the first open's time, 8 more for the last question's, 8 for
    // the earlier send's.
    private byte clickCount;
    private byte nextSlot;

    /** Takes in a {@code sent} or {@code delivered} time, keeping the latest two. */
    void sent(long atMicros) {
        if (atMicros > sentAtMicros) {
            earlierSentAtMicros = sentAtMicros;
            sentAtMicros = atMicros;
        } else if (atMicros < sentAtMicros && atMicros > earlierSentAtMicros) {
            earlierSentAtMicros = atMicros;
        }
    }

    /** The latest send of the two kept at or before {@code atMicros}, or {@link #NEVER}. */
    long sentAtOrBefore(long atMicros) {
        return sentAtMicros <= atMicros ? sentAtMicros : earlierSentAtMicros <= atMicros ? earlierSentAtMicros : NEVER;
    }

    /** One remembered click; {@code batch}/{@code index} say whether it is in the batch being classified. */
    static final class Click {
        final UUID id;
        final EventFields fields;
        final long atMicros;
        final long source;
        final int url;
        Classification classification;
        final long batch;
        final int index;

        Click(UUID id, EventFields fields, long atMicros, long source, int url, Classification classification, long batch,
              int index) {
            this.id = id;
            // Without the inline URL (up to kilobytes): the ids are all a correction needs.
            this.fields = fields.inlineUrl() == null ? fields : fields.withInlineUrl(null);
            this.atMicros = atMicros;
            this.source = source;
            this.url = url;
            this.classification = classification;
            this.batch = batch;
            this.index = index;
        }
    }

    /** Whether the email was opened at or before {@code atMicros}, as far as is known. */
    boolean openedBy(long atMicros) {
        return firstOpenMicros != NEVER && firstOpenMicros <= atMicros;
    }

    /** Takes an open at {@code atMicros} in: the first open is the earliest known. */
    void opened(long atMicros) {
        firstOpenMicros = earlier(firstOpenMicros, atMicros);
    }

    /** The earlier of two times, {@link #NEVER} meaning none. */
    static long earlier(long a, long b) {
        return a == NEVER ? b : b == NEVER ? a : Math.min(a, b);
    }

    void remember(Click c) {
        if (clicks == null) {
            clicks = new Click[2];
        } else if (clickCount == clicks.length && clicks.length < MAX_CLICKS) {
            // Grow oldest-first, so that once full the ring overwrites the oldest click.
            Click[] grown = new Click[Math.min(MAX_CLICKS, clicks.length * 2)];
            for (int i = 0; i < clickCount; i++) {
                grown[i] = clicks[(nextSlot + i) % clicks.length];
            }
            clicks = grown;
            nextSlot = clickCount;
        }
        clicks[nextSlot] = c;
        nextSlot = (byte) ((nextSlot + 1) % clicks.length);
        if (clickCount < clicks.length) {
            clickCount++;
        }
    }

    /** Whether a click of this id is remembered. */
    boolean remembers(java.util.UUID id) {
        for (int i = 0; i < clickCount; i++) {
            if (clicks[i].id.equals(id)) {
                return true;
            }
        }
        return false;
    }

    int clickCount() {
        return clickCount;
    }

    Click click(int i) {
        return clicks[i];
    }
}
