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

    private Attributes() {
    }

    /** True when the event's id was chosen by an ingest client (see {@link #ID_SOURCE}). */
    public static boolean hasClientId(EventRecord e) {
        return ID_SOURCE_CLIENT.equals(e.attributes().get(ID_SOURCE));
    }
}
