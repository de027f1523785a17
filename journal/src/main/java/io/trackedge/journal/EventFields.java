package io.trackedge.journal;

import java.util.Objects;
import java.util.UUID;

/**
 * The identifiers an event is about: who sent it (tenant, user), through what (campaign, mailbox),
 * to whom (email, optional lead) and at which sequence step. Tracking tokens carry exactly these,
 * in the encoding of {@link FieldsCodec}; for click tokens with an inline destination the URL too.
 *
 * @param inlineUrl the destination URL carried inside a click token, or {@code null}
 */
public record EventFields(UUID tenant, UUID user, String campaign, String mailbox, String email,
                          String lead, String step, String inlineUrl) {

    /**
     * What the ingest API writes as the campaign and the email of warm-up events, which have
     * neither: the field block requires non-empty strings. Sinks read these two fields of
     * {@link EventType#isWarmup() warm-up} events as absent (NULL); for other types "-" is an
     * ordinary value.
     */
    public static final String ABSENT = "-";

    public EventFields {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(campaign, "campaign");
        Objects.requireNonNull(mailbox, "mailbox");
        Objects.requireNonNull(email, "email");
    }

    public EventFields withInlineUrl(String url) {
        return new EventFields(tenant, user, campaign, mailbox, email, lead, step, url);
    }
}
