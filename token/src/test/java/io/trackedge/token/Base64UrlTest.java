package io.trackedge.token;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Strict base64url: exactly the canonical unpadded spelling of some bytes is accepted. */
class Base64UrlTest {

    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

    private static int decode(String s, byte[] out) {
        return Base64Url.decode(s, 0, s.length(), out);
    }

    /** The canonical spelling: what an encoder writes for the bytes a lax decoder reads. */
    private static boolean canonical(String s) {
        if (s.length() % 4 == 1) {
            return false;
        }
        try {
            return ENCODER.encodeToString(Base64.getUrlDecoder().decode(s)).equals(s);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Test
    void roundTripsEveryLengthAndMatchesTheJdkEncoder() {
        Random rnd = new Random(1);
        for (int n = 0; n <= 400; n++) {
            for (int rep = 0; rep < 5; rep++) {
                byte[] b = new byte[n];
                rnd.nextBytes(b);
                String s = Base64Url.encode(b);
                assertEquals(ENCODER.encodeToString(b), s);
                assertEquals(Base64Url.decodedLength(s.length()), n);
                byte[] out = new byte[n + 3];
                assertEquals(n, decode(s, out), s);
                assertArrayEquals(b, Arrays.copyOf(out, n));
            }
        }
    }

    @Test
    void emptyTextIsZeroBytes() {
        assertEquals(0, decode("", new byte[0]));
    }

    /** All 4096 two-character and 262144 three-character texts: accepted exactly when canonical. */
    @Test
    void shortTextsExhaustively() {
        byte[] out = new byte[2];
        int accepted2 = 0;
        for (char a : ALPHABET.toCharArray()) {
            for (char b : ALPHABET.toCharArray()) {
                String s = "" + a + b;
                int n = decode(s, out);
                assertEquals(canonical(s) ? 1 : -1, n, s);
                accepted2 += n == 1 ? 1 : 0;
                for (char c : ALPHABET.toCharArray()) {
                    String t = s + c;
                    assertEquals(canonical(t) ? 2 : -1, decode(t, out), t);
                }
            }
        }
        assertEquals(64 * 4, accepted2); // last character one of A, Q, g, w
    }

    @ParameterizedTest
    @ValueSource(strings = {"AQ", "AR", "AS", "AT", "AE", "AB", "AAE", "AAB", "AAC", "AAD", "AAAAAB", "AAAAAAB"})
    void leftOverBitsMustBeZero(String s) {
        boolean canonical = s.endsWith("Q") || s.endsWith("E") && s.length() % 4 == 3;
        assertEquals(canonical ? Base64Url.decodedLength(s.length()) : -1, decode(s, new byte[8]), s);
    }

    @Test
    void lengthOneModFourIsRefused() {
        for (int len = 1; len < 50; len += 4) {
            assertEquals(-1, decode("A".repeat(len), new byte[100]), "length " + len);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"AQ==", "AQE=", "AQ=", "=AAA", "AA=A", "AAAA====", "AAAA=", "+/+/", "AA+A", "AA/A", "AA A", " AAAA",
        "AAAA ", "AA\nA", "AA.A", "AA%A", "AA~A", "AA*A", "AAé", "AA\u0000A", "AA\uFF21A", "AA\u0661A", "AA\u00C0A"})
    void charactersOutsideTheAlphabetAreRefused(String s) {
        assertEquals(-1, decode(s, new byte[16]), s);
    }

    @Test
    void everyOtherCharacterIsRefusedAtEveryPosition() {
        String valid = ENCODER.encodeToString(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        byte[] out = new byte[16];
        for (char c = 0; c < 0x3000; c++) {
            if (ALPHABET.indexOf(c) >= 0) {
                continue;
            }
            for (int i = 0; i < valid.length(); i++) {
                String s = valid.substring(0, i) + c + valid.substring(i + 1);
                assertEquals(-1, decode(s, out), "char " + (int) c + " at " + i);
            }
        }
    }

    @Test
    void outputMustFit() {
        String s = ENCODER.encodeToString(new byte[10]);
        assertEquals(-1, decode(s, new byte[9]));
        assertEquals(10, decode(s, new byte[10]));
    }

    @Test
    void decodesOnlyTheGivenRange() {
        byte[] b = {(byte) 0xfb, (byte) 0xff, 0x10, 0x20, 0x30};
        String token = ENCODER.encodeToString(b);
        String path = "/o/" + token + ".gif";
        byte[] out = new byte[8];
        assertEquals(5, Base64Url.decode(path, 3, 3 + token.length(), out));
        assertArrayEquals(b, Arrays.copyOf(out, 5));
        assertEquals(-1, Base64Url.decode(path, 3, 4 + token.length(), out));
        assertEquals(-1, Base64Url.decode(path, 2, 3 + token.length(), out));
    }

    @Test
    void decodedLengthOfEveryTextLength() {
        for (int chars = 0; chars < 100; chars++) {
            if (chars % 4 != 1) {
                assertEquals(Base64.getUrlDecoder().decode("A".repeat(chars)).length, Base64Url.decodedLength(chars));
            }
        }
    }

    /** The longest text the verifier accepts is exactly the encoding of the largest token. */
    @Test
    void maxCharsIsTheEncodedLengthOfMaxBytes() {
        assertEquals(3382, TokenFormat.MAX_BYTES);
        assertEquals(ENCODER.encodeToString(new byte[TokenFormat.MAX_BYTES]).length(), TokenFormat.MAX_CHARS);
        assertEquals(4510, TokenFormat.MAX_CHARS);
    }
}
