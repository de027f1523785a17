package io.trackedge.token;

import io.trackedge.journal.EventFields;
import io.trackedge.journal.FieldsCodec;
import java.nio.charset.StandardCharsets;

/**
 * Makes tokens with the ring's signing key. Used by the CLI, the sender's toolkit and tests, not on
 * the hot path; thread-safe. Refuses, with an {@link IllegalArgumentException} naming the field,
 * strings the edge would not store ({@link StoredText}: U+0000, lone surrogates, the latter in the
 * URL too), as well as empty or too long ones and destinations the {@link UrlPolicy} does not allow.
 */
public final class TokenSigner {

    private final SigningKey key;

    public TokenSigner(KeyRing keys) {
        this.key = keys.signingKey();
    }

    /** Token for an open pixel. */
    public String open(EventFields fields) {
        return sign(TokenKind.OPEN, fields.withInlineUrl(null), new byte[0]);
    }

    /** Token for the one-click unsubscribe URL ({@code POST /u/<token>}, RFC 8058). */
    public String unsubscribe(EventFields fields) {
        return sign(TokenKind.UNSUBSCRIBE, fields.withInlineUrl(null), new byte[0]);
    }

    /**
     * Token for a click. With {@code urlInToken} the destination is inside the token; otherwise it
     * travels as the {@code u} query parameter and only the MAC binds it.
     *
     * @throws IllegalArgumentException when the URL is not an allowed destination
     */
    public String click(EventFields fields, String url, boolean urlInToken) {
        String lone = StoredText.loneSurrogate(url);
        if (lone != null) {
            throw new IllegalArgumentException("url " + lone);
        }
        String reason = UrlPolicy.check(url);
        if (reason != null) {
            throw new IllegalArgumentException("cannot sign " + url + ": " + reason);
        }
        if (urlInToken) {
            return sign(TokenKind.CLICK, fields.withInlineUrl(url), new byte[0]);
        }
        return sign(TokenKind.CLICK_URL_IN_QUERY, fields.withInlineUrl(null), url.getBytes(StandardCharsets.US_ASCII));
    }

    private String sign(TokenKind kind, EventFields fields, byte[] queryUrl) {
        checkText("campaign", fields.campaign());
        checkText("mailbox", fields.mailbox());
        checkText("email", fields.email());
        checkText("lead", fields.lead());
        checkText("step", fields.step());
        byte[] block = FieldsCodec.encode(fields);
        byte[] t = new byte[TokenFormat.HEADER + block.length + TokenFormat.TAG];
        t[0] = TokenFormat.VERSION;
        t[1] = (byte) kind.code();
        t[2] = (byte) key.id();
        System.arraycopy(block, 0, t, TokenFormat.HEADER, block.length);
        byte[] mac = new byte[HmacSha256.LENGTH];
        new HmacSha256(key.secret()).mac(t, 0, TokenFormat.HEADER + block.length, queryUrl, 0, queryUrl.length, mac, 0);
        System.arraycopy(mac, 0, t, TokenFormat.HEADER + block.length, TokenFormat.TAG);
        return Base64Url.encode(t);
    }

    /** The verifier refuses what the database cannot hold; better to fail here, where a person sees it. */
    private static void checkText(String field, String value) {
        String problem = value == null ? null : StoredText.problem(value);
        if (problem != null) {
            throw new IllegalArgumentException(field + " " + problem);
        }
    }
}
