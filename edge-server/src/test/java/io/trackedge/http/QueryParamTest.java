package io.trackedge.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Finding and form-decoding the {@code u} parameter of a click URL. */
class QueryParamTest {

    private final byte[] out = new byte[64];

    private String decode(String query) {
        int n = QueryParam.decode(query, 0, "u", out);
        return n < 0 ? "INVALID" : new String(out, 0, n, StandardCharsets.ISO_8859_1);
    }

    @Test
    void plainValue() {
        assertEquals("abc", decode("u=abc"));
        assertEquals("https://e.example/p", decode("u=https://e.example/p"));
    }

    @Test
    void percentEncodingInEitherCase() {
        assertEquals("https://e.example/?a=b&c", decode("u=https%3A%2F%2Fe.example%2F%3Fa%3Db%26c"));
        assertEquals("https://e.example/?a=b&c", decode("u=https%3a%2f%2fe.example%2f%3fa%3db%26c"));
        assertEquals("%20", decode("u=%2520"));
        assertEquals("\u00c3\u00a9", decode("u=%C3%A9")); // two bytes, 0xC3 0xA9
        assertEquals("\u0000\u00ff", decode("u=%00%FF"));
    }

    @Test
    void plusIsASpaceAndEncodedPlusIsAPlus() {
        assertEquals("a b", decode("u=a+b"));
        assertEquals("  ", decode("u=++"));
        assertEquals("a+b", decode("u=a%2Bb"));
        assertEquals("a+b", decode("u=a%2bb"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"u=%", "u=%4", "u=a%", "u=a%4", "u=%zz", "u=%4g", "u=%g4", "u=%%41", "u=%41%", "u=% 41",
        "u=%-1", "u=%+1", "u=%4%41", "x=1&u=%4&y=2", "u=%\u0664\u0661", "u=%\uFF14\uFF11", "u=%\uFF21\uFF21", "u=%4\u0661"})
    void badPercentEncodingIsInvalid(String query) {
        assertEquals(QueryParam.INVALID, QueryParam.decode(query, 0, "u", out), query);
    }

    @ParameterizedTest
    @ValueSource(strings = {"u=é", "u=a\u0080", "u=\u00ff", "u=\u2028", "u=🌸"})
    void rawNonAsciiIsInvalid(String query) {
        assertEquals(QueryParam.INVALID, QueryParam.decode(query, 0, "u", out), query);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "x=1", "x=1&y=2", "uu=1", "xu=1", "U=1", "u", "u&x=1", "x&u", "=u", "%75=1", "x=u=1",
        "u =1", " u=1", "url=https://e.example/"})
    void missingParameterIsZero(String query) {
        assertEquals(0, QueryParam.decode(query, 0, "u", out), query);
    }

    @Test
    void emptyValueIsZero() {
        assertEquals(0, QueryParam.decode("u=", 0, "u", out));
        assertEquals(0, QueryParam.decode("u=&x=1", 0, "u", out));
    }

    @Test
    void findsTheParameterAmongOthers() {
        assertEquals("abc", decode("x=1&u=abc"));
        assertEquals("abc", decode("x&u=abc"));
        assertEquals("abc", decode("x=&u=abc&y=2"));
        assertEquals("abc", decode("=x&u=abc"));
        assertEquals("abc", decode("&&u=abc&"));
        assertEquals("a=b", decode("u=a=b"));
        assertEquals("abc", decode("uu=1&u=abc"));
    }

    @Test
    void theFirstOccurrenceWins() {
        assertEquals("first", decode("u=first&u=second"));
        assertEquals(0, QueryParam.decode("u=&u=second", 0, "u", out));
    }

    @Test
    void startsAtTheGivenOffset() {
        String uri = "/c/TOKEN?u=abc";
        assertEquals(3, QueryParam.decode(uri, uri.indexOf('?') + 1, "u", out));
        assertArrayEquals("abc".getBytes(StandardCharsets.US_ASCII), Arrays.copyOf(out, 3));
        String tricky = "/c/u=zzz?u=abc";
        assertEquals(3, QueryParam.decode(tricky, tricky.indexOf('?') + 1, "u", out));
        assertEquals("abc", new String(out, 0, 3, StandardCharsets.US_ASCII));
    }

    @Test
    void valueLongerThanTheBufferIsInvalid() {
        byte[] four = new byte[4];
        assertEquals(4, QueryParam.decode("u=abcd", 0, "u", four));
        assertEquals(QueryParam.INVALID, QueryParam.decode("u=abcde", 0, "u", four));
        assertEquals(4, QueryParam.decode("u=%41%42%43%44", 0, "u", four));
        assertEquals(QueryParam.INVALID, QueryParam.decode("u=%41%42%43%44%45", 0, "u", four));
        assertEquals(QueryParam.INVALID, QueryParam.decode("u=abcd+", 0, "u", four));
        assertEquals(4, QueryParam.decode("u=abcd&x=longer-than-four", 0, "u", four));
    }

    /** Whatever java.net.URLEncoder writes decodes back to the same bytes. */
    @Test
    void decodesWhatUrlEncoderWrites() {
        Random rnd = new Random(3);
        byte[] buf = new byte[3000];
        for (int i = 0; i < 2000; i++) {
            StringBuilder sb = new StringBuilder();
            int n = 1 + rnd.nextInt(300);
            for (int j = 0; j < n; j++) {
                sb.append(rnd.nextInt(8) == 0 ? (char) (0x80 + rnd.nextInt(0x3000)) : (char) (0x20 + rnd.nextInt(0x5F)));
            }
            String value = sb.toString();
            String query = "a=1&u=" + URLEncoder.encode(value, StandardCharsets.UTF_8) + "&b=2";
            byte[] expected = value.getBytes(StandardCharsets.UTF_8);
            int len = QueryParam.decode(query, 0, "u", buf);
            assertEquals(expected.length, len, query);
            assertArrayEquals(expected, Arrays.copyOf(buf, len), query);
        }
    }
}
