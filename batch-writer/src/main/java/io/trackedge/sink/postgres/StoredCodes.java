package io.trackedge.sink.postgres;

import io.trackedge.classify.Automation;
import io.trackedge.classify.Certainty;
import io.trackedge.journal.EventType;

/**
 * The one-byte {@code "char"} codes that {@code email_event_rows} stores for its vocabularies, as SQL's
 * {@code event_type_code}, {@code automation_code} and {@code certainty_code} (sql/V26) give them.
 * A code never changes once released: stored rows keep it.
 */
final class StoredCodes {

    private StoredCodes() {
    }

    static byte of(EventType t) {
        return (byte) switch (t) {
            case OPEN -> 'o';
            case CLICK -> 'c';
            case SENT -> 's';
            case DELIVERED -> 'd';
            case BOUNCED -> 'b';
            case REPLIED -> 'r';
            case UNSUBSCRIBED -> 'u';
            case COMPLAINED -> 'x';
            case WARMUP_OPEN -> 'w';
            case WARMUP_REPLY -> 'y';
        };
    }

    static byte of(Automation a) {
        return (byte) switch (a) {
            case NONE -> 'n';
            case PROXY -> 'p';
            case PREFETCH -> 'f';
            case SCANNER -> 's';
            case BOT -> 'b';
        };
    }

    static byte of(Certainty c) {
        return (byte) switch (c) {
            case CERTAIN -> 'c';
            case PROBABLE -> 'p';
        };
    }
}
