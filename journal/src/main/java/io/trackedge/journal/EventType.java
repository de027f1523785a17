package io.trackedge.journal;

/**
 * Every kind of event the pipeline carries. The {@link #code()} is written into journal records
 * and never reused; {@link #wireName()} is the name used by the ingest API and the database.
 */
public enum EventType {
    OPEN(1, "open"),
    CLICK(2, "click"),
    SENT(3, "sent"),
    DELIVERED(4, "delivered"),
    BOUNCED(5, "bounced"),
    REPLIED(6, "replied"),
    UNSUBSCRIBED(7, "unsubscribed"),
    COMPLAINED(8, "complained"),
    WARMUP_OPEN(9, "warmup_open"),
    WARMUP_REPLY(10, "warmup_reply");

    private static final EventType[] BY_CODE = new EventType[16];

    static {
        for (EventType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;
    private final String wireName;

    EventType(int code, String wireName) {
        this.code = code;
        this.wireName = wireName;
    }

    public int code() {
        return code;
    }

    public String wireName() {
        return wireName;
    }

    /** Warm-up events name a mailbox, not a campaign or an email (see {@link EventFields#ABSENT}). */
    public boolean isWarmup() {
        return this == WARMUP_OPEN || this == WARMUP_REPLY;
    }

    /** Returns the type for a journal code, or {@code null} when the code is unknown. */
    public static EventType ofCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
