package io.trackedge.classify;

/** How sure a {@link Classification} is; {@link #wireName()} is stored in {@code email_events.certainty}. */
public enum Certainty {
    /** A decisive signal (a HEAD request, a relay address on a pixel, a scanner range on a click), or two weaker ones. */
    CERTAIN("certain"),
    /** One weaker signal alone (a click seconds after delivery, a full Chrome version). */
    PROBABLE("probable");

    private final String wireName;

    Certainty(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** The certainty of a stored name, or null for a name that is none. */
    public static Certainty ofWireName(String name) {
        for (Certainty c : values()) {
            if (c.wireName.equals(name)) {
                return c;
            }
        }
        return null;
    }
}
