package io.trackedge.token;

import io.trackedge.journal.FieldsCodec;

/**
 * Decodes and verifies tokens into a reusable buffer. After {@link #verify} returns {@link #OK},
 * the accessors describe the token just verified; the field block can be copied straight into a
 * journal record. Verification allocates nothing and compares tags in constant time. A token whose
 * strings are not UTF-8 or hold U+0000 is {@link #MALFORMED}, however well it is signed.
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
        if (n < TokenFormat.MIN_BYTES) {
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
        if (!storableStrings()) {
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

    /**
     * Whether every string of the well-formed field block in {@code token[HEADER..signed)} is
     * UTF-8 without U+0000 ({@link StoredText}): another signer can put anything in a block, and an
     * event that PostgreSQL refuses must not get as far as the journal.
     */
    private boolean storableStrings() {
        int p = TokenFormat.HEADER + 32;
        for (int i = 0; i < 3; i++) {
            int l = token[p] & 0xFF;
            if (!StoredText.isStorable(token, p + 1, l)) {
                return false;
            }
            p += 1 + l;
        }
        int presence = token[p++] & 0xFF;
        for (int bit = 1; bit <= 2; bit <<= 1) {
            if ((presence & bit) != 0) {
                int l = token[p] & 0xFF;
                if (!StoredText.isStorable(token, p + 1, l)) {
                    return false;
                }
                p += 1 + l;
            }
        }
        if ((presence & 4) != 0) {
            int l = ((token[p] & 0xFF) << 8) | (token[p + 1] & 0xFF);
            return StoredText.isStorable(token, p + 2, l);
        }
        return true;
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
