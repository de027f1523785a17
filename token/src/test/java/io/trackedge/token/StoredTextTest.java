package io.trackedge.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The text rule: what PostgreSQL text can hold, for Java strings and for UTF-8 bytes. */
class StoredTextTest {

    @Test
    void stringsWithoutNulOrLoneSurrogatesPass() {
        for (String s : new String[] {"", "a", "Grüße", "日本語", "🌸🙂", "x".repeat(300), "\u0001\u007f", "\uffff"}) {
            assertNull(StoredText.problem(s), s);
        }
    }

    @Test
    void nulAndLoneSurrogatesAreNamedWithTheirPosition() {
        assertEquals("contains U+0000 (NUL) at character 2, which PostgreSQL text cannot hold", StoredText.problem("a\u0000b"));
        assertEquals("contains a lone surrogate (U+D800) at character 2, which is not Unicode text", StoredText.problem("x\ud800y"));
        assertEquals("contains a lone surrogate (U+D83C) at character 1, which is not Unicode text", StoredText.problem("\ud83c"));
        assertEquals("contains a lone surrogate (U+DF38) at character 3, which is not Unicode text", StoredText.problem("ab\udf38"));
        assertEquals("contains a lone surrogate (U+DC00) at character 1, which is not Unicode text", StoredText.problem("\udc00\ud800"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"00", "6100", "c080", "c1bf", "c328", "c3", "e0809f", "e09f80", "eda080", "edbfbf", "f08f8080",
        "f4908080", "f5808080", "ff", "80", "bf", "e282", "f09f8c"})
    void bytesThatAreNotUtf8OrHoldNulAreRefused(String hex) {
        byte[] b = HexFormat.of().parseHex(hex);
        assertFalse(StoredText.isStorable(b, 0, b.length), hex);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "61", "7f", "c280", "dfbf", "e0a080", "ed9fbf", "ee8080", "efbfbf", "f0908080", "f48fbfbf",
        "f09f8cb8"})
    void wellFormedUtf8Passes(String hex) {
        byte[] b = HexFormat.of().parseHex(hex);
        assertTrue(StoredText.isStorable(b, 0, b.length), hex);
    }

    /** Agrees with the JDK's strict decoder (plus the NUL rule) on random bytes, biased towards UTF-8 lead bytes. */
    @Test
    void agreesWithTheJdkStrictDecoderOnRandomBytes() {
        Random rnd = new Random(11);
        int refused = 0;
        for (int i = 0; i < 200_000; i++) {
            byte[] b = new byte[1 + rnd.nextInt(6)];
            for (int k = 0; k < b.length; k++) {
                int pick = rnd.nextInt(4);
                b[k] = (byte) switch (pick) {
                    case 0 -> rnd.nextInt(0x80);
                    case 1 -> 0x80 + rnd.nextInt(0x40);
                    case 2 -> 0xC0 + rnd.nextInt(0x40);
                    default -> rnd.nextInt(256);
                };
            }
            boolean expected = jdkStrict(b);
            int off = rnd.nextInt(3);
            byte[] padded = new byte[off + b.length + 2];
            System.arraycopy(b, 0, padded, off, b.length);
            padded[off + b.length] = (byte) 0xC3; // bytes outside the range must not matter
            assertEquals(expected, StoredText.isStorable(padded, off, b.length), HexFormat.of().formatHex(b));
            refused += expected ? 0 : 1;
        }
        assertTrue(refused > 10_000 && refused < 190_000, "both outcomes exercised: " + refused);
    }

    private static boolean jdkStrict(byte[] b) {
        for (byte x : b) {
            if (x == 0) {
                return false;
            }
        }
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
