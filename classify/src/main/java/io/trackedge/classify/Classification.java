package io.trackedge.classify;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The verdict on one open or click: who made it, how sure, and every signal that fired. Signals that
 * fired without making the event a machine (a Private Relay click, a click before any open) are kept
 * too, so a person can see why an event was, or was not, flagged.
 *
 * @param reasons a bitmask of {@link Signal#bit()}s, stored as is in {@code email_events.reasons}
 */
public record Classification(Automation automation, Certainty certainty, int reasons) {

    /** A person, no signal at all. */
    public static final Classification NONE = new Classification(Automation.NONE, Certainty.CERTAIN, 0);

    private static final int REASON_TEXTS_CACHED = 1024;
    private static final Map<Integer, String> REASON_TEXTS = new ConcurrentHashMap<>();

    public Classification {
        Objects.requireNonNull(automation, "automation");
        Objects.requireNonNull(certainty, "certainty");
    }

    /** True for prefetch, scanner and bot; false for none and proxy. */
    public boolean isMachine() {
        return automation.isMachine();
    }

    public boolean has(Signal s) {
        return (reasons & s.mask()) != 0;
    }

    public List<Signal> signals() {
        return Signal.ofMask(reasons);
    }

    /** The reasons' wire names joined with commas, or {@code null} when there is none ({@code machine_reason}). */
    public String reasonText() {
        if (reasons == 0) {
            return null;
        }
        // The sink writes it for every classified event, and a deployment sees a few dozen
        // combinations of signals: each is joined once.
        String text = REASON_TEXTS.get(reasons);
        if (text == null) {
            StringBuilder sb = new StringBuilder();
            for (Signal s : signals()) {
                if (!sb.isEmpty()) {
                    sb.append(',');
                }
                sb.append(s.wireName());
            }
            text = sb.toString();
            if (REASON_TEXTS.size() < REASON_TEXTS_CACHED) {
                REASON_TEXTS.put(reasons, text);
            }
        }
        return text;
    }

    @Override
    public String toString() {
        return automation.wireName() + "/" + certainty.wireName() + signals();
    }
}
