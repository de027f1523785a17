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

    /**
     * Section 3's text rule, read from the spec and checked with the JDK's strict UTF-8 decoder: a
     * correctly signed token verifies only when every string is UTF-8 without U+0000, and is
     * {@code malformed} otherwise.
     */
    @Test
    void aSignedTokenVerifiesOnlyWhenEveryStringIsUtf8WithoutNul() throws GeneralSecurityException {
        Random rnd = new Random(58);
        byte[] secret = new byte[32];
        rnd.nextBytes(secret);
        TokenVerifier verifier = new TokenVerifier(new KeyRing(List.of(new SigningKey(3, secret))));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret, "HmacSHA256"));
        byte[][] pieces = {{'a'}, {'Z'}, {0}, {(byte) 0xC3, (byte) 0xA9}, {(byte) 0xC3}, {(byte) 0xA9}, {(byte) 0xC0, (byte) 0x80},
            {(byte) 0xE2, (byte) 0x82, (byte) 0xAC}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF0, (byte) 0x9F, (byte) 0x8C, (byte) 0xB8},
            {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xFF}};
        int ok = 0;
        int malformed = 0;
        for (int i = 0; i < 3000; i++) {
            ByteBuffer b = ByteBuffer.allocate(512);
            b.put((byte) 1).put((byte) 1).put((byte) 3).putLong(rnd.nextLong()).putLong(rnd.nextLong())
                    .putLong(rnd.nextLong()).putLong(rnd.nextLong());
            boolean text = true;
            for (int f = 0; f < 5; f++) {
                if (f == 3) {
                    b.put((byte) 3); // presence: lead and step
                }
                ByteBuffer str = ByteBuffer.allocate(64);
                // mostly good pieces, so that both outcomes are common
                for (int n = 1 + rnd.nextInt(4); n > 0; n--) {
                    str.put(rnd.nextInt(5) == 0 ? pieces[rnd.nextInt(pieces.length)] : pieces[rnd.nextInt(2)]);
                }
                byte[] x = java.util.Arrays.copyOf(str.array(), str.position());
                text &= utf8WithoutNul(x);
                b.put((byte) x.length).put(x);
            }
            mac.update(b.array(), 0, b.position());
            b.put(mac.doFinal(), 0, 16);
            String token = Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOf(b.array(), b.position()));
            int r = verifier.verify(token, 0, token.length(), new byte[0], 0);
            assertEquals(text ? TokenVerifier.OK : TokenVerifier.MALFORMED, r, token);
            if (text) {
                ok++;
            } else {
                malformed++;
            }
        }
        assertEquals(3000, ok + malformed);
        org.junit.jupiter.api.Assertions.assertTrue(ok > 300 && malformed > 300, ok + " ok, " + malformed + " malformed");
    }

    private static boolean utf8WithoutNul(byte[] x) {
        for (byte c : x) {
            if (c == 0) {
                return false;
            }
        }
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT).decode(ByteBuffer.wrap(x));
            return true;
        } catch (java.nio.charset.CharacterCodingException e) {
            return false;
        }
    }

    /** Section 2: the smallest token is 58 bytes; section 10 calls anything shorter malformed, whatever its header says. */
    @Test
    void theSmallestTokenIs58BytesAndShorterIsMalformed() throws GeneralSecurityException {
        Vectors.Valid min = Vectors.valid("open-minimal");
        assertEquals(58, Base64.getUrlDecoder().decode(min.token()).length);
        assertEquals(58, TokenFormat.MIN_BYTES);
        TokenVerifier verifier = new TokenVerifier(KeyRing.parse(Vectors.VERIFY_RING));
        for (int n = 0; n < 58; n++) {
            byte[] t = new byte[n];
            for (int i = 0; i < n; i++) {
                t[i] = (byte) (i < 3 ? 2 : i); // version 2: long enough, it would be unknown_version
            }
            String text = Base64.getUrlEncoder().withoutPadding().encodeToString(t);
            assertEquals(TokenVerifier.MALFORMED, verifier.verify(text, 0, text.length(), new byte[0], 0), n + " bytes");
        }
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
