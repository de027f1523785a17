package io.trackedge.sink.postgres;

import io.trackedge.classify.Classification;
import io.trackedge.journal.EventRecord;
import io.trackedge.sink.JournalClassifier;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.List;

/**
 * The verdicts of one batch's events, looked up by event id (a batch's rows may be a subset of it, see
 * {@link ClientIds}, and the privacy policy may hand on a copy of an event with less in it; opens
 * and clicks, the only events with verdicts, carry ids the edge made, unique in the journal). An event without a verdict (not an open or click, or classification off) falls
 * back to the edge's flags: HEAD, or a User-Agent the edge itself knew as a machine.
 */
final class EventVerdicts {

    static final EventVerdicts NONE = new EventVerdicts(Map.of());

    private final Map<UUID, Classification> verdicts;

    private EventVerdicts(Map<UUID, Classification> verdicts) {
        this.verdicts = verdicts;
    }

    static EventVerdicts of(List<EventRecord> batch, JournalClassifier.Classified classified) {
        if (classified == null || classified.classifications() == null) {
            return NONE;
        }
        Map<UUID, Classification> m = new HashMap<>(batch.size() * 2);
        for (int i = 0; i < batch.size(); i++) {
            Classification c = classified.of(i);
            if (c != null) {
                m.put(batch.get(i).id(), c);
            }
        }
        return new EventVerdicts(m);
    }

    /** The event's verdict, or null. */
    Classification of(EventRecord e) {
        return verdicts.get(e.id());
    }

    boolean isMachine(EventRecord e) {
        Classification c = verdicts.get(e.id());
        return c != null ? c.isMachine() : flaggedMachine(e);
    }

    /** {@code machine_reason} of an event without a verdict: the name of the edge's flag, or null. */
    static String flagReason(EventRecord e) {
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
