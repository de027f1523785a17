package io.trackedge.sink.postgres;

import io.trackedge.classify.Automation;
import io.trackedge.classify.Certainty;

/**
 * The one-byte {@code "char"} codes that {@code email_event_rows} stores for automation and certainty, as
 * SQL's {@code automation_code} and {@code certainty_code} (sql/V26) give them (the event type is the enum
 * {@code email_event_type}, written by its label).
 * A code never changes once released: stored rows keep it.
 */
final class StoredCodes {

    private StoredCodes() {
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
