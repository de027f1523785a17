package io.trackedge.token;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.journal.EventFields;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Builds tokens straight from docs/tracking-token.md, with a ByteBuffer and javax.crypto.Mac and
 * none of the production codecs, and compares them with what TokenSigner makes.
 */
class TokenSpecCrossCheckTest {

    static final List<Vectors.Valid> VALID = Vectors.VALID;

    /** Section 2, 3 and 5 of the spec, written out. */
    static String specToken(int keyId, byte[] secret, int kind, EventFields f, String url) throws GeneralSecurityException {
        ByteBuffer b = ByteBuffer.allocate(4096);
        b.put((byte) 1).put((byte) kind).put((byte) keyId);
        b.putLong(f.tenant().getMostSignificantBits()).putLong(f.tenant().getLeastSignificantBits());
        b.putLong(f.user().getMostSignificantBits()).putLong(f.user().getLeastSignificantBits());
        str8(b, f.campaign());
        str8(b, f.mailbox());
        str8(b, f.email());
        int presence = (f.lead() != null ? 1 : 0) | (f.step() != null ? 2 : 0) | (kind == 2 ? 4 : 0);
        b.put((byte) presence);
        if (f.lead() != null) {
            str8(b, f.lead());
        }
        if (f.step() != null) {
            str8(b, f.step());
        }
        if (kind == 2) {
            byte[] u = url.getBytes(StandardCharsets.UTF_8);
            b.putShort((short) u.length).put(u);
        }
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret, "HmacSHA256"));
        mac.update(b.array(), 0, b.position());
        if (kind == 3) {
            mac.update(url.getBytes(StandardCharsets.US_ASCII));
        }
        b.put(mac.doFinal(), 0, 16);
        byte[] token = new byte[b.position()];
        b.flip().get(token);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(token);
    }

    private static void str8(ByteBuffer b, String s) {
        byte[] x = s.getBytes(StandardCharsets.UTF_8);
        b.put((byte) x.length).put(x);
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("VALID")
    void specConstructionMatchesTheVectors(Vectors.Valid v) throws GeneralSecurityException {
        assertEquals(v.token(), specToken(v.keyId(), Vectors.KEYS.get(v.keyId()).secret(), v.kind(), v.fields(), v.url()));
    }

    /** Many field shapes: every presence combination, string lengths from 1 to 255 bytes, all kinds. */
    @Test
    void specConstructionMatchesTheSignerOnGeneratedFields() throws GeneralSecurityException {
        Random rnd = new Random(20260101);
        byte[] secret = new byte[32 + rnd.nextInt(64)];
        rnd.nextBytes(secret);
        int keyId = 255;
        TokenSigner signer = new TokenSigner(new KeyRing(List.of(new SigningKey(keyId, secret))));
        TokenVerifier verifier = new TokenVerifier(new KeyRing(List.of(new SigningKey(keyId, secret))));
        int checked = 0;
        for (int i = 0; i < 600; i++) {
            EventFields f = new EventFields(new UUID(rnd.nextLong(), rnd.nextLong()), new UUID(rnd.nextLong(), rnd.nextLong()),
                    text(rnd), text(rnd), text(rnd), rnd.nextBoolean() ? text(rnd) : null, rnd.nextBoolean() ? text(rnd) : null, null);
            int kind = 1 + i % 3;
            String url = kind == 1 ? null : url(rnd);
            String expected = specToken(keyId, secret, kind, f, url);
            String actual = switch (kind) {
                case 1 -> signer.open(f);
                case 2 -> signer.click(f, url, true);
                default -> signer.click(f, url, false);
            };
            assertEquals(expected, actual, "fields " + f + ", kind " + kind + ", url " + url);
            byte[] u = kind == 3 ? url.getBytes(StandardCharsets.US_ASCII) : new byte[0];
            assertEquals(TokenVerifier.OK, verifier.verify(actual, 0, actual.length(), u, u.length));
            checked++;
        }
        assertEquals(600, checked);
    }

    /** 1..255 UTF-8 bytes of ASCII, 2-, 3- and 4-byte characters, ending exactly at the limit sometimes. */
    private static String text(Random rnd) {
        String[] pieces = {"a", "Z", "7", "-", "é", "€", "𝄞", "🌸", "ж", " "};
        int limit = rnd.nextInt(4) == 0 ? 255 : 1 + rnd.nextInt(255);
        StringBuilder sb = new StringBuilder();
        int bytes = 0;
        while (true) {
            String p = pieces[rnd.nextInt(pieces.length)];
            int n = p.getBytes(StandardCharsets.UTF_8).length;
            if (bytes + n > limit) {
                break;
            }
            sb.append(p);
            bytes += n;
            if (rnd.nextInt(40) == 0) {
                break;
            }
        }
        if (bytes == 0) {
            sb.append('x');
        }
        return sb.toString();
    }

    private static String url(Random rnd) {
        List<String> parts = new ArrayList<>(List.of("https://", "http://", "HTTPS://"));
        StringBuilder sb = new StringBuilder(parts.get(rnd.nextInt(parts.size()))).append("host").append(rnd.nextInt(1000))
                .append(".example");
        String chars = "abcXYZ019-._~!$&'()*+,;=:@/?%#";
        int n = rnd.nextInt(4) == 0 ? 2048 - sb.length() : rnd.nextInt(200);
        if (n > 0) {
            sb.append('/');
        }
        while (sb.length() < 2048 && n-- > 1) {
            sb.append(chars.charAt(rnd.nextInt(chars.length())));
        }
        return sb.toString();
    }
}
