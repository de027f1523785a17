package io.trackedge.token;

import io.trackedge.journal.FieldsCodec;

/**
 * Decodes and verifies tokens into a reusable buffer. After {@link #verify} returns {@link #OK},
 * the accessors describe the token just verified; the field block can be copied straight into a
 * journal record. Verification allocates nothing and compares tags in constant time.
 *
 * <p>Not thread-safe: each event loop owns one.
 */
public final class TokenVerifier {

    public static final int OK = 0;
    public static final int MALFORMED = 1;
    public static final int UNKNOWN_VERSION = 2;
    public static final int UNKNOWN_KEY = 3;
    public static final int BAD_SIGNATURE = 4;
    public static final int WRONG_KIND = 5;

    private final HmacSha256[] macs = new HmacSha256[256];
    private final byte[] token = new byte[TokenFormat.MAX_BYTES];
    private final byte[] tag = new byte[HmacSha256.LENGTH];
    private int length;
    private TokenKind kind;
    private int inlineUrlAt;

    public TokenVerifier(KeyRing keys) {
        for (SigningKey k : keys.keys()) {
            macs[k.id()] = new HmacSha256(k.secret());
        }
    }

    /**
     * Verifies the base64url token {@code text[start..end)}. For a {@link TokenKind#CLICK_URL_IN_QUERY}
     * token, {@code url[0..urlLength)} is the destination the MAC must cover; otherwise it is ignored.
     *
     * @return {@link #OK} or the reason it failed
     */
    public int verify(CharSequence text, int start, int end, byte[] url, int urlLength) {
        kind = null;
        if (end - start > TokenFormat.MAX_CHARS) {
            return MALFORMED;
        }
        int n = Base64Url.decode(text, start, end, token);
        if (n < TokenFormat.HEADER + 32 + 4 + TokenFormat.TAG) {
            return MALFORMED;
        }
        if ((token[0] & 0xFF) != TokenFormat.VERSION) {
            return UNKNOWN_VERSION;
        }
        TokenKind k = TokenKind.ofCode(token[1] & 0xFF);
        if (k == null) {
            return MALFORMED;
        }
        HmacSha256 mac = macs[token[2] & 0xFF];
        if (mac == null) {
            return UNKNOWN_KEY;
        }
        int signed = n - TokenFormat.TAG;
        int urlAt = FieldsCodec.check(token, TokenFormat.HEADER, signed - TokenFormat.HEADER);
        if (urlAt < 0) {
            return MALFORMED;
        }
        if ((k == TokenKind.CLICK) != (urlAt > 0)) {
            return MALFORMED;
        }
        int extra = k == TokenKind.CLICK_URL_IN_QUERY ? urlLength : 0;
        mac.mac(token, 0, signed, url, 0, extra, tag, 0);
        int diff = 0;
        for (int i = 0; i < TokenFormat.TAG; i++) {
            diff |= tag[i] ^ token[signed + i];
        }
        if (diff != 0) {
            return BAD_SIGNATURE;
        }
        length = n;
        kind = k;
        inlineUrlAt = urlAt == 0 ? 0 : TokenFormat.HEADER + urlAt;
        return OK;
    }

    /** Kind of the last token verified, or null when the last verification failed. */
    public TokenKind kind() {
        return kind;
    }

    /** The decoded token; valid until the next {@link #verify}. */
    public byte[] bytes() {
        return token;
    }

    public int fieldsOffset() {
        return TokenFormat.HEADER;
    }

    public int fieldsLength() {
        return length - TokenFormat.HEADER - TokenFormat.TAG;
    }

    /** Offset of the inline URL's bytes in {@link #bytes()}, or 0 when the token carries none. */
    public int inlineUrlOffset() {
        return inlineUrlAt == 0 ? 0 : inlineUrlAt + 2;
    }

    public int inlineUrlLength() {
        return inlineUrlAt == 0 ? 0 : ((token[inlineUrlAt] & 0xFF) << 8) | (token[inlineUrlAt + 1] & 0xFF);
    }

    /** A short name for a verification result, for logs and tests. */
    public static String describe(int result) {
        return switch (result) {
            case OK -> "ok";
            case MALFORMED -> "malformed";
            case UNKNOWN_VERSION -> "unknown version";
            case UNKNOWN_KEY -> "unknown key id";
            case BAD_SIGNATURE -> "bad signature";
            case WRONG_KIND -> "wrong kind";
            default -> "unknown result " + result;
        };
    }
}
