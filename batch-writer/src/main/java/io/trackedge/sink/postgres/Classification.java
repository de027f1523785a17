package io.trackedge.sink.postgres;

import io.trackedge.journal.EventRecord;

/** Whether an event came from a machine (prefetcher, scanner, proxy) rather than a person, and why. */
final class Classification {

    private Classification() {
    }

    static boolean isMachine(EventRecord e) {
        return (e.flags() & (EventRecord.FLAG_HEAD | EventRecord.FLAG_MACHINE)) != 0;
    }

    static String reason(EventRecord e) {
        if ((e.flags() & EventRecord.FLAG_HEAD) != 0) {
            return "head_request";
        }
        if ((e.flags() & EventRecord.FLAG_MACHINE) != 0) {
            return "machine_user_agent";
        }
        return null;
    }
}
