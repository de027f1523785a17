package io.trackedge.sink.postgres;

import io.trackedge.classify.Classification;
import io.trackedge.journal.EventRecord;
import io.trackedge.sink.JournalClassifier;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * The verdicts of one batch's events, looked up by event (a batch's rows may be a subset of it: see
 * {@link ClientIds}). An event without a verdict (not an open or click, or classification off) falls
 * back to the edge's flags: HEAD, or a User-Agent the edge itself knew as a machine.
 */
final class EventVerdicts {

    static final EventVerdicts NONE = new EventVerdicts(new IdentityHashMap<>());

    private final IdentityHashMap<EventRecord, Classification> verdicts;

    private EventVerdicts(IdentityHashMap<EventRecord, Classification> verdicts) {
        this.verdicts = verdicts;
    }

    static EventVerdicts of(List<EventRecord> batch, JournalClassifier.Classified classified) {
        if (classified == null || classified.classifications() == null) {
            return NONE;
        }
        IdentityHashMap<EventRecord, Classification> m = new IdentityHashMap<>(batch.size() * 2);
        for (int i = 0; i < batch.size(); i++) {
            Classification c = classified.of(i);
            if (c != null) {
                m.put(batch.get(i), c);
            }
        }
        return new EventVerdicts(m);
    }

    /** The event's verdict, or null. */
    Classification of(EventRecord e) {
        return verdicts.get(e);
    }

    boolean isMachine(EventRecord e) {
        Classification c = verdicts.get(e);
        return c != null ? c.isMachine() : flaggedMachine(e);
    }

    /** {@code machine_reason}: the verdict's signals by name, or the edge flag's name. */
    String reason(EventRecord e) {
        Classification c = verdicts.get(e);
        if (c != null) {
            return c.reasonText();
        }
        if ((e.flags() & EventRecord.FLAG_HEAD) != 0) {
            return "head_request";
        }
        if ((e.flags() & EventRecord.FLAG_MACHINE) != 0) {
            return "machine_user_agent";
        }
        return null;
    }

    static boolean flaggedMachine(EventRecord e) {
        return (e.flags() & (EventRecord.FLAG_HEAD | EventRecord.FLAG_MACHINE)) != 0;
    }
}
