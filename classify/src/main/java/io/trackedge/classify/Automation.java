package io.trackedge.classify;

/**
 * Who, or what, made an open or a click. {@link #wireName()} is what the database
 * ({@code email_events.automation}) and PostHog carry; it never changes once released.
 */
public enum Automation {
    /** A person, as far as any signal can tell. */
    NONE("none", false),
    /** A person behind a mail provider's image proxy (Gmail, Yahoo): the open is theirs. */
    PROXY("proxy", false),
    /** A mail client or provider fetched the pixel ahead of any reading (Apple Mail Privacy Protection). */
    PREFETCH("prefetch", true),
    /** A security gateway or link checker followed the link (Safe Links, Mimecast, Proofpoint, Barracuda). */
    SCANNER("scanner", true),
    /** Any other program: crawlers, HTTP libraries, headless browsers. */
    BOT("bot", true);

    private final String wireName;
    private final boolean machine;

    Automation(String wireName, boolean machine) {
        this.wireName = wireName;
        this.machine = machine;
    }

    public String wireName() {
        return wireName;
    }

    /** True for prefetch, scanner and bot: the one bit {@code is_machine} that counters use. */
    public boolean isMachine() {
        return machine;
    }

    /** The value for a wire name, or {@code null} when there is none. */
    public static Automation ofWireName(String name) {
        for (Automation a : values()) {
            if (a.wireName.equals(name)) {
                return a;
            }
        }
        return null;
    }
}
