package io.trackedge.token;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.journal.EventFields;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.FieldSource;

/** The first key of a ring signs, every key verifies, and the key id byte picks the key. */
class KeyRotationTest {

    private static final SigningKey K1 = key(1, 0x01);
    private static final SigningKey K2 = key(2, 0x02);
    private static final SigningKey K3 = key(3, 0x03);
    private static final EventFields FIELDS = new EventFields(new UUID(1, 2), new UUID(3, 4), "camp", "box", "mail", null, "2", null);
    private static final String URL = "https://example.com/p";
    private static final byte[] URL_BYTES = URL.getBytes(StandardCharsets.US_ASCII);

    private static SigningKey key(int id, int seed) {
        byte[] s = new byte[32 + seed];
        for (int i = 0; i < s.length; i++) {
            s[i] = (byte) (seed * 31 + i * 7);
        }
        return new SigningKey(id, s);
    }

    private static KeyRing ring(SigningKey... keys) {
        return new KeyRing(List.of(keys));
    }

    private static String sign(KeyRing ring, TokenKind kind) {
        TokenSigner s = new TokenSigner(ring);
        return switch (kind) {
            case OPEN -> s.open(FIELDS);
            case CLICK -> s.click(FIELDS, URL, true);
            case CLICK_URL_IN_QUERY -> s.click(FIELDS, URL, false);
        };
    }

    private static int verify(KeyRing ring, String token) {
        return new TokenVerifier(ring).verify(token, 0, token.length(), URL_BYTES, URL_BYTES.length);
    }

    private static int keyIdOf(String token) {
        return Base64.getUrlDecoder().decode(token)[2] & 0xFF;
    }

    @ParameterizedTest
    @EnumSource(TokenKind.class)
    void tokenOfKey1VerifiesWhileKey1IsInTheRing(TokenKind kind) {
        String token = sign(ring(K1), kind);
        assertEquals(1, keyIdOf(token));
        assertEquals(TokenVerifier.OK, verify(ring(K1), token));
        assertEquals(TokenVerifier.OK, verify(ring(K2, K1), token));
        assertEquals(TokenVerifier.OK, verify(ring(K1, K2), token));
        assertEquals(TokenVerifier.OK, verify(ring(K3, K2, K1), token));
        assertEquals(TokenVerifier.UNKNOWN_KEY, verify(ring(K2), token));
        assertEquals(TokenVerifier.UNKNOWN_KEY, verify(ring(K2, K3), token));
    }

    @ParameterizedTest
    @EnumSource(TokenKind.class)
    void theFirstKeyOfTheRingSigns(TokenKind kind) {
        String token = sign(ring(K2, K1), kind);
        assertEquals(2, keyIdOf(token));
        assertEquals(sign(ring(K2), kind), token);
        assertEquals(TokenVerifier.OK, verify(ring(K2), token));
        assertEquals(TokenVerifier.OK, verify(ring(K1, K2), token));
        assertEquals(TokenVerifier.UNKNOWN_KEY, verify(ring(K1), token));
        assertFalse(token.equals(sign(ring(K1, K2), kind)));
    }

    @ParameterizedTest
    @EnumSource(TokenKind.class)
    void changingTheKeyIdToAnotherConfiguredKeyBreaksTheSignature(TokenKind kind) {
        String token = sign(ring(K1), kind);
        byte[] b = Base64.getUrlDecoder().decode(token);
        for (int id : new int[] {2, 3}) {
            b[2] = (byte) id;
            String forged = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
            assertEquals(TokenVerifier.BAD_SIGNATURE, verify(ring(K1, K2, K3), forged), "id " + id);
        }
        b[2] = 9;
        assertEquals(TokenVerifier.UNKNOWN_KEY, verify(ring(K1, K2, K3), Base64.getUrlEncoder().withoutPadding().encodeToString(b)));
    }

    /** Reusing an id with a new secret makes old tokens fail as forgeries, not as unknown keys. */
    @ParameterizedTest
    @EnumSource(TokenKind.class)
    void sameIdDifferentSecretIsABadSignature(TokenKind kind) {
        String token = sign(ring(K1), kind);
        SigningKey other = new SigningKey(1, K2.secret());
        assertEquals(TokenVerifier.BAD_SIGNATURE, verify(ring(other), token));
    }

    @Test
    void keyIdsAbove127AreUnsigned() {
        SigningKey k = new SigningKey(255, K3.secret());
        String token = sign(ring(k, K1), TokenKind.OPEN);
        assertEquals(255, keyIdOf(token));
        assertEquals(TokenVerifier.OK, verify(ring(K1, k), token));
        assertEquals(TokenVerifier.UNKNOWN_KEY, verify(ring(K1, new SigningKey(127, K3.secret())), token));
        SigningKey zero = new SigningKey(0, K3.secret());
        String t0 = sign(ring(zero), TokenKind.OPEN);
        assertEquals(0, keyIdOf(t0));
        assertEquals(TokenVerifier.OK, verify(ring(K1, zero), t0));
    }

    @Test
    void ringSpecsParseInOrder() {
        KeyRing r = KeyRing.parse(" " + K2.format() + " ,\t" + K1.format() + " ");
        assertEquals(List.of(2, 1), r.keys().stream().map(SigningKey::id).toList());
        assertEquals(K2, r.signingKey());
        assertEquals(2, keyIdOf(sign(r, TokenKind.OPEN)));
    }

    @Test
    void keySpecRoundTripsAndToleratesPadding() {
        SigningKey k = SigningKey.parse(K1.format());
        assertEquals(K1, k);
        SigningKey k32 = new SigningKey(5, new byte[32]);
        String padded = "5:" + Base64.getUrlEncoder().encodeToString(k32.secret());
        assertTrue(padded.endsWith("="));
        assertEquals(k32, SigningKey.parse(padded));
        assertEquals("5:" + "A".repeat(43), k32.format());
        assertFalse(K1.toString().contains(Base64.getUrlEncoder().withoutPadding().encodeToString(K1.secret())));
    }

    static final List<String> BAD_SPECS = List.of("", " , ", "1", ":AAAA", "x:" + "A".repeat(43), "256:" + "A".repeat(43),
            "-1:" + "A".repeat(43), "1:" + "A".repeat(42), "1:AAAA$AAA", "1:" + "A".repeat(43) + ",1:" + "B".repeat(42) + "A",
            // the strict grammar of section 7: these were accepted before
            "7 :" + "A".repeat(43), "+7:" + "A".repeat(43), "007:" + "A".repeat(43), "7: " + "A".repeat(43),
            "1:" + "A".repeat(43) + ",,2:" + "A".repeat(43), "1:" + "A".repeat(43) + ",", "," + "1:" + "A".repeat(43),
            "1:" + "A".repeat(42) + "B", "1:" + "A".repeat(43) + "==", "1:" + "A".repeat(43) + "\n");

    @ParameterizedTest
    @FieldSource("BAD_SPECS")
    void badRingSpecsAreRefused(String spec) {
        assertThrows(IllegalArgumentException.class, () -> KeyRing.parse(spec));
    }

    @Test
    void secretsOfAtLeast32BytesOnly() {
        assertThrows(IllegalArgumentException.class, () -> new SigningKey(1, new byte[31]));
        assertEquals(32, new SigningKey(1, new byte[32]).secret().length);
        // 42 base64 characters carry 31 bytes, 43 carry 32.
        assertEquals(32, SigningKey.parse("7:" + "A".repeat(43)).secret().length);
    }

    @Test
    void theRingKeepsItsOwnCopyOfEachSecret() {
        byte[] s = K1.secret();
        SigningKey k = new SigningKey(1, s);
        String before = sign(ring(k), TokenKind.OPEN);
        s[0] ^= 1;
        k.secret()[0] ^= 1;
        assertEquals(before, sign(ring(k), TokenKind.OPEN));
        assertArrayEquals(K1.secret(), k.secret());
    }

    @Test
    void aBadEntryIsNamedByItsPositionAndItsSecretIsNotShown() {
        String secret = K2.format().substring(K2.format().indexOf(':') + 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KeyRing.parse(K1.format() + ", 7 :" + secret));
        assertTrue(e.getMessage().startsWith("entry 2 of 2: the id \"7 \" is not a decimal number 0..255"), e.getMessage());
        assertTrue(e.getMessage().endsWith("; a key is <id>:<base64url secret>"), e.getMessage());
        assertFalse(e.getMessage().contains(secret.substring(0, 8)), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> KeyRing.parse(K1.format() + ","));
        assertEquals("entry 2 of 2 is empty (a trailing comma?)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> KeyRing.parse("2:" + secret.substring(0, 20)));
        assertTrue(e.getMessage().startsWith("entry 1 of 1: key 2: secret must be at least 32 bytes"), e.getMessage());
    }
}
