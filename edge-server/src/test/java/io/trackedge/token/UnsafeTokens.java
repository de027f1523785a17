package io.trackedge.token;

import io.trackedge.journal.EventFields;
import io.trackedge.journal.FieldsCodec;
import java.nio.charset.StandardCharsets;

/**
 * Signs what {@link TokenSigner} refuses to (destinations outside the URL policy), so tests can
 * prove that the edge checks a destination itself instead of trusting whoever holds a key.
 */
public final class UnsafeTokens {

    private UnsafeTokens() {
    }

    /** A correctly signed inline click token for any URL bytes. */
    public static String inlineClick(KeyRing keys, EventFields fields, String rawUrl) {
        byte[] block = FieldsCodec.encode(fields.withInlineUrl(rawUrl));
        return sign(keys.signingKey(), TokenKind.CLICK, block, new byte[0]);
    }

    /** A correctly signed URL-in-query click token binding any URL bytes. */
    public static String queryClick(KeyRing keys, EventFields fields, byte[] rawUrl) {
        byte[] block = FieldsCodec.encode(fields.withInlineUrl(null));
        return sign(keys.signingKey(), TokenKind.CLICK_URL_IN_QUERY, block, rawUrl);
    }

    static String sign(SigningKey key, TokenKind kind, byte[] block, byte[] extra) {
        byte[] t = new byte[TokenFormat.HEADER + block.length + TokenFormat.TAG];
        t[0] = TokenFormat.VERSION;
        t[1] = (byte) kind.code();
        t[2] = (byte) key.id();
        System.arraycopy(block, 0, t, TokenFormat.HEADER, block.length);
        byte[] mac = new byte[32];
        new HmacSha256(key.secret()).mac(t, 0, TokenFormat.HEADER + block.length, extra, 0, extra.length, mac, 0);
        System.arraycopy(mac, 0, t, TokenFormat.HEADER + block.length, TokenFormat.TAG);
        return Base64Url.encode(t);
    }

    public static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
