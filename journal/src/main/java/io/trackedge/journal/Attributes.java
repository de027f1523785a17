package io.trackedge.journal;

/**
 * Names of the attributes events carry in the record's ext block ({@link RecordCodec#encodeAttributes}),
 * shared by the edge that writes them and the sinks that read them.
 */
public final class Attributes {

    /** {@code bounced}: {@code hard} or {@code soft}. */
    public static final String BOUNCE_TYPE = "bounce_type";
    /** {@code bounced}: the reason the receiving server gave, optional. */
    public static final String BOUNCE_REASON = "bounce_reason";
    /** {@code replied}: the Message-ID of the reply, optional. */
    public static final String MESSAGE_ID = "message_id";
    /** {@code warmup_open}, {@code warmup_reply}: the other mailbox of the warm-up exchange. */
    public static final String PARTNER_MAILBOX = "partner_mailbox";
    /**
     * Who chose the event id: absent when the edge made it (a UUIDv7, unique by construction);
     * {@link #ID_SOURCE_CLIENT} when an ingest client sent it, so that a retry may repeat it and
     * sinks must write it at most once.
     */
    public static final String ID_SOURCE = "id_source";
    public static final String ID_SOURCE_CLIENT = "client";
    /**
     * {@code unsubscribed}: {@link #ONE_CLICK_YES} when the edge took it as a one-click unsubscribe (RFC 8058),
     * whose id is derived from the recipient's token and so goes with them on an erasure; absent on a
     * mail server's, sent through the ingest API, whose id names no one. Not sent to PostHog.
     */
    public static final String ONE_CLICK = "one_click";
    public static final String ONE_CLICK_YES = "true";

    private Attributes() {
    }

    /** True when the event's id was chosen by an ingest client (see {@link #ID_SOURCE}). */
    public static boolean hasClientId(EventRecord e) {
        return ID_SOURCE_CLIENT.equals(e.attributes().get(ID_SOURCE));
    }

    /**
     * True when {@code e} is a one-click unsubscribe the edge took over HTTP (see {@link #ONE_CLICK}). A record
     * journaled by an edge older than the mark is told by its client address: the edge records the request's,
     * and the ingest API never sets one.
     */
    public static boolean isOneClick(EventRecord e) {
        if (e.type() != EventType.UNSUBSCRIBED || !hasClientId(e)) {
            return false;
        }
        String mark = e.attributes().get(ONE_CLICK);
        return mark != null ? ONE_CLICK_YES.equals(mark) : e.ip() != null && e.ip().length > 0;
    }
}
