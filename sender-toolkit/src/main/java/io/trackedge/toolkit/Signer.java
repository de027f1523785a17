package io.trackedge.toolkit;

import io.trackedge.journal.EventFields;
import io.trackedge.token.KeyRing;
import io.trackedge.token.TokenSigner;
import io.trackedge.token.TrackingUrls;
import java.util.Objects;
import java.util.UUID;

/**
 * The sender's entry point: signed pixel and click URLs for one tracking domain, and whole emails
 * rewritten ({@link EmailRewriter}), with the deployment's key list (docs/tracking-token.md,
 * section 7; the first key signs). Immutable and thread-safe: make one at start and share it.
 *
 * <pre>{@code
 * Signer signer = Signer.of("https://t.example.com", System.getenv("EDGE_SIGNING_KEYS"));
 * EventFields ids = Signer.ids(tenant, user, "spring-launch", "sales@acme.example", "msg-000123");
 * String html = signer.rewrite(emailHtml, ids).html();
 * }</pre>
 *
 * Every method that signs refuses, with an {@link IllegalArgumentException} naming the field, what
 * the edge would refuse: empty or too long fields, U+0000 or lone surrogates, destinations outside
 * the URL policy.
 */
public final class Signer {

    private final TrackingUrls urls;
    private final EmailRewriter rewriter;

    private Signer(TrackingUrls urls, EmailRewriter.Options options) {
        this.urls = urls;
        this.rewriter = new EmailRewriter(urls, options);
    }

    /**
     * @param publicBaseUrl the edge's public scheme and host, e.g. {@code https://t.example.com}
     * @param keyList       the key list, {@code <id>:<base64url secret>[,...]}; the first key signs
     * @throws IllegalArgumentException naming the bad key entry (never printing a secret), or a base URL without a host
     */
    public static Signer of(String publicBaseUrl, String keyList) {
        return of(publicBaseUrl, KeyRing.parse(Objects.requireNonNull(keyList, "keyList")), EmailRewriter.Options.defaults());
    }

    /** As {@link #of(String, String)}, with parsed keys and the rewriter's options. */
    public static Signer of(String publicBaseUrl, KeyRing keys, EmailRewriter.Options options) {
        return new Signer(new TrackingUrls(Objects.requireNonNull(publicBaseUrl, "publicBaseUrl"), new TokenSigner(keys)), options);
    }

    /** The identifiers of one email without lead or sequence step. */
    public static EventFields ids(UUID tenant, UUID user, String campaign, String mailbox, String email) {
        return new EventFields(tenant, user, campaign, mailbox, email, null, null, null);
    }

    /** The identifiers of one email; {@code lead} and {@code step} may be null. */
    public static EventFields ids(UUID tenant, UUID user, String campaign, String mailbox, String email,
                                  String lead, String step) {
        return new EventFields(tenant, user, campaign, mailbox, email, lead, step, null);
    }

    /** {@code <base>/o/<token>.gif}. */
    public String pixelUrl(EventFields ids) {
        return urls.pixel(ids);
    }

    /**
     * {@code <base>/c/<token>?u=<destination>}: the destination stays readable in the link and the
     * token short; the MAC binds it. The destination is normalized first (spaces and non-ASCII
     * percent-encoded).
     */
    public String clickUrl(EventFields ids, String destination) {
        return urls.click(ids, destination, false);
    }

    /** {@code <base>/c/<token>}, the destination inside the token. */
    public String clickUrlInline(EventFields ids, String destination) {
        return urls.click(ids, destination, true);
    }

    /** Adds the pixel and wraps the links of one email's HTML; see {@link EmailRewriter#rewrite}. */
    public EmailRewriter.Result rewrite(String html, EventFields ids) {
        return rewriter.rewrite(html, ids);
    }

    /** The URL maker underneath, for callers that build their own {@link EmailRewriter}. */
    public TrackingUrls urls() {
        return urls;
    }
}
